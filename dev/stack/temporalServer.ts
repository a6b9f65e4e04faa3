/**
 * Temporal's own server (go.temporal.io/server, built by dev/tools/install-temporal-server.sh) on the
 * stack's PostgreSQL, run the way docker-compose.yml runs it: the same config template
 * (deploy/temporal-server.yaml), the same schema script (deploy/temporal-schema.sh), the same dynamic
 * config (deploy/temporal-dynamicconfig.yaml). Each process is a full copy (frontend, history,
 * matching, worker) on its own loopback ports; copies sharing one database find each other through
 * it and share the history shards, so any one of them may be killed.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { INDEXED_TYPE, missingSearchAttributes } from '../../client/registerSearchAttributes';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../contract';
import { ManagedChild, waitUntil } from './managedProcess';
import type { PostgresServer } from './postgres';
import { waitForPort } from './ports';
import { installedPaths } from './tools';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SERVER_CONFIG_DIR = join(ROOT, 'deploy');
/** deploy/temporal-server.yaml: the server loads `<config dir>/<env>.yaml`. */
export const SERVER_CONFIG_ENV = 'temporal-server';
export const SCHEMA_SCRIPT = join(ROOT, 'deploy/temporal-schema.sh');
export const DYNAMIC_CONFIG_FILE = join(ROOT, 'deploy/temporal-dynamicconfig.yaml');
/** How long a closed workflow is kept, as in docker-compose.yml (DEFAULT_NAMESPACE_RETENTION). */
export const NAMESPACE_RETENTION_DAYS = 7;

const run = promisify(execFile);

export interface TemporalServerTools {
  server: string;
  sqlTool: string;
  schemaDir: string;
}

let tools: TemporalServerTools | undefined;

/** The server and schema tool, built (once per version, about 6 min from empty Go caches) if missing. */
export function resolveTemporalServerTools(): TemporalServerTools {
  if (tools) return tools;
  const paths = installedPaths('install-temporal-server.sh', ['TEMPORAL_SERVER', 'TEMPORAL_SQL_TOOL', 'TEMPORAL_SCHEMA_DIR']);
  tools = { server: paths.TEMPORAL_SERVER, sqlTool: paths.TEMPORAL_SQL_TOOL, schemaDir: paths.TEMPORAL_SCHEMA_DIR };
  return tools;
}

/** The PostgreSQL login as temporal-sql-tool and the config template read it (environment only). */
function databaseEnv(postgres: Pick<PostgresServer, 'port' | 'user' | 'password'>) {
  return {
    sql: { SQL_HOST: '127.0.0.1', SQL_PORT: String(postgres.port), SQL_USER: postgres.user, SQL_PASSWORD: postgres.password },
    server: { TEMPORAL_DB_HOST: '127.0.0.1', TEMPORAL_DB_PORT: String(postgres.port), TEMPORAL_DB_USER: postgres.user, TEMPORAL_DB_PASSWORD: postgres.password },
  };
}

/** Creates or upgrades the temporal and temporal_visibility databases (deploy/temporal-schema.sh). */
export async function setUpTemporalSchema(postgres: PostgresServer): Promise<void> {
  const { sqlTool, schemaDir } = resolveTemporalServerTools();
  try {
    await run('bash', [SCHEMA_SCRIPT], { env: { ...process.env, ...databaseEnv(postgres).sql, TEMPORAL_SQL_TOOL: sqlTool, TEMPORAL_SCHEMA_DIR: schemaDir } });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`Temporal's schema set-up (${SCHEMA_SCRIPT}) failed:\n${`${stdout ?? ''}${stderr ?? ''}`.slice(-3000)}`);
  }
}

export interface TemporalServerPorts {
  frontendGrpc: number;
  frontendMembership: number;
  frontendHttp: number;
  historyGrpc: number;
  historyMembership: number;
  matchingGrpc: number;
  matchingMembership: number;
  workerGrpc: number;
  workerMembership: number;
  metrics: number;
}

export interface TemporalServerProcess extends ManagedChild {
  address: string;
  ports: TemporalServerPorts;
}

/**
 * Temporal stores membership ports in a smallint column (cluster_membership.rpc_port), so they must be
 * below 32768, under Linux's ephemeral range (32768-60999), where freePort's ports come from. All of a
 * server's ports are taken from 10000-32767: a port there is also never handed to some client socket
 * between our check and the server's bind, as an ephemeral one could be after a restart.
 */
async function freeLowPort(taken: number[]): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (32_768 - 10_000));
    if (!taken.includes(port) && (await canListen(port))) return port;
  }
  throw new Error('found no free loopback port in 10000-32767 in 200 tries');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePorts(): Promise<TemporalServerPorts> {
  const ports: number[] = [];
  while (ports.length < 10) ports.push(await freeLowPort(ports));
  const [frontendGrpc, frontendMembership, frontendHttp, historyGrpc, historyMembership, matchingGrpc, matchingMembership, workerGrpc, workerMembership, metrics] =
    ports as [number, number, number, number, number, number, number, number, number, number];
  return { frontendGrpc, frontendMembership, frontendHttp, historyGrpc, historyMembership, matchingGrpc, matchingMembership, workerGrpc, workerMembership, metrics };
}

/** Whether the frontend answers GetSystemInfo (serving, not just listening). */
async function frontendAnswers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.withDeadline(Date.now() + 2_000, () => connection!.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The server's command line: `<root>/<config>/` holds deploy/temporal-server.yaml as `<SERVER_CONFIG_ENV>.yaml`. */
export function temporalServerArgs(root: string, config: string): string[] {
  return ['--root', root, '--config', config, '--env', SERVER_CONFIG_ENV, '--allow-no-auth', 'start'];
}

/** What deploy/temporal-server.yaml reads from the environment, for a process of this stack. */
export function temporalServerEnvironment(postgres: Pick<PostgresServer, 'port' | 'user' | 'password'>, ports: TemporalServerPorts, logLevel: string): Record<string, string> {
  return {
    ...databaseEnv(postgres).server,
    TEMPORAL_BIND_ON_LOCALHOST: 'true',
    TEMPORAL_FRONTEND_GRPC_PORT: String(ports.frontendGrpc),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_HISTORY_GRPC_PORT: String(ports.historyGrpc),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_MATCHING_GRPC_PORT: String(ports.matchingGrpc),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_WORKER_GRPC_PORT: String(ports.workerGrpc),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TEMPORAL_METRICS_PORT: String(ports.metrics),
    TEMPORAL_CLUSTER_ADDRESS: `127.0.0.1:${ports.frontendGrpc}`,
    TEMPORAL_DYNAMIC_CONFIG_FILE: DYNAMIC_CONFIG_FILE,
    TEMPORAL_LOG_LEVEL: logLevel,
  };
}

/**
 * A full server process (all four services) on fresh loopback ports; not started yet (`start()`).
 * Its log (Temporal's JSON lines, level from `logLevel`) goes to `logFile`.
 */
export async function temporalServerProcess(options: {
  name: string;
  postgres: PostgresServer;
  logFile: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}): Promise<TemporalServerProcess> {
  const { server } = resolveTemporalServerTools();
  const ports = await freePorts();
  const address = `127.0.0.1:${ports.frontendGrpc}`;
  const env = temporalServerEnvironment(options.postgres, ports, options.logLevel ?? 'warn');
  const child = new ManagedChild({
    name: options.name,
    command: server,
    args: temporalServerArgs(SERVER_CONFIG_DIR, '.'),
    env,
    logFile: options.logFile,
    readyTimeoutMs: 90_000,
    async ready() {
      await waitForPort(ports.frontendGrpc, 90_000);
      if (!(await waitUntil(() => frontendAnswers(address), 90_000, 200))) throw new Error(`the frontend at ${address} did not answer within 90 s`);
    },
  });
  return Object.assign(child, { address, ports });
}

const GRPC_ALREADY_EXISTS = 6;

function isAlreadyExists(err: unknown): boolean {
  return (err as { code?: number }).code === GRPC_ALREADY_EXISTS || /already (exists|registered)/i.test((err as Error).message ?? '');
}

/** Retries `call` until it succeeds or `timeoutMs` passes (a server just started may not have its rings yet). */
async function retrying<T>(what: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Registers the namespace and Shale's search attributes (contract's SEARCH_ATTRIBUTE_DECLARATIONS),
 * idempotently: what exists is kept, an attribute registered with another type is an error. One
 * attribute per call, as the compose file's job does (the `temporal` CLI registers only the first of
 * several in one call).
 */
export async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await retrying(`registering namespace ${namespace} at ${address}`, 60_000, async () => {
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(`${NAMESPACE_RETENTION_DAYS} days`),
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    });
    for (const [name, type] of SEARCH_ATTRIBUTE_DECLARATIONS) {
      await retrying(`registering search attribute ${name} at ${address}`, 60_000, async () => {
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        const registered = listed.customAttributes?.[name];
        if (registered !== undefined) {
          if (Number(registered) !== INDEXED_TYPE[type]) throw new Error(`search attribute ${name} is registered with type ${registered}, not ${type}`);
          return;
        }
        try {
          await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { [name]: INDEXED_TYPE[type] } });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
      });
    }
  } finally {
    await connection.close();
  }
}

/**
 * Resolves when this frontend can serve the namespace with every search attribute (each server
 * process caches namespaces and refreshes its cache on its own, so one that did not register them
 * may not know them yet).
 */
export async function waitForNamespace(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await retrying(`namespace ${namespace} with Shale's search attributes at ${address}`, timeoutMs, async () => {
      await connection.workflowService.describeNamespace({ namespace });
      const listed = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = missingSearchAttributes(listed.customAttributes ?? {});
      if (missing.length > 0) throw new Error(`not yet listed: ${missing.join(', ')}`);
      await connection.workflowService.countWorkflowExecutions({ namespace, query: "ShaleState = 'RUNNING'" });
    });
  } finally {
    await connection.close();
  }
}
