/**
 * The switch that runs the e2e suite against a Temporal server someone else runs (e.g. the production
 * stack's, on PostgreSQL) instead of a dev server of its own: SHALE_TEST_TEMPORAL_ADDRESS=host:port,
 * SHALE_TEST_TEMPORAL_NAMESPACE (default `default`). Before any test runs, the server must answer and
 * the namespace must hold Shale's search attributes with their types: a server that lacks one fails
 * every job's first upsert, which the suite would otherwise show as dozens of 60 s timeouts.
 */
import { Connection } from '@temporalio/client';
import { missingSearchAttributes } from '../../client/registerSearchAttributes';

export interface ExternalTemporal {
  address: string;
  namespace: string;
}

/** The external server the environment names, or undefined (the run starts its own dev server). */
export function externalTemporalFromEnv(env: NodeJS.ProcessEnv): ExternalTemporal | undefined {
  const address = env.SHALE_TEST_TEMPORAL_ADDRESS?.trim();
  if (!address) return undefined;
  return { address, namespace: env.SHALE_TEST_TEMPORAL_NAMESPACE?.trim() || 'default' };
}

/** A start-up refusal: one line, no stack (the stack would point into this file, not at the cause). */
export class ExternalTemporalUnusable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExternalTemporalUnusable';
    this.stack = `${this.name}: ${message}`;
  }
}

/** Resolves when the server answers, the namespace exists and holds every search attribute; else rejects with one line naming what is missing. */
export async function checkExternalTemporal({ address, namespace }: ExternalTemporal, timeoutMs = 5_000): Promise<void> {
  const where = `SHALE_TEST_TEMPORAL_ADDRESS=${address}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
  } catch (err) {
    throw new ExternalTemporalUnusable(`${where}: no Temporal server answers there (${firstLine(err)})`);
  }
  try {
    const within = <T>(call: () => Promise<T>) => connection.withDeadline(Date.now() + timeoutMs, call);
    try {
      await within(() => connection.workflowService.describeNamespace({ namespace }));
    } catch (err) {
      throw new ExternalTemporalUnusable(`${where}: namespace ${namespace} is not usable (${firstLine(err)}); create it or set SHALE_TEST_TEMPORAL_NAMESPACE`);
    }
    const listed = await within(() => connection.operatorService.listSearchAttributes({ namespace }));
    const registered = Object.fromEntries(Object.entries(listed.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
    const missing = missingSearchAttributes(registered);
    if (missing.length > 0) {
      throw new ExternalTemporalUnusable(
        `${where}: namespace ${namespace} lacks Shale's search attributes ${missing.join(', ')}; register them with \`shale admin setup --address ${address} --namespace ${namespace}\``,
      );
    }
  } finally {
    await connection.close();
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
