/**
 * `shale api --config <file>`: runs the HTTP job API. The file is Shale's YAML config (the worker's
 * file, deploy/shale.yaml): `temporal:` says where Temporal is (with SHALE_TEMPORAL_* overrides, TLS,
 * API key, as for the worker) and `api:` holds the API's own settings (api/config.ts).
 * `npx tsx api/main.ts --config <file> [--host H] [--port P]` runs it directly; `runApi(argv)` is the
 * entry point the CLI delegates to.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { pino, type Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { isUnavailableError, TemporalUnavailableError } from '../client/connectionConfig';
import { ShaleClient } from '../client/shaleClient';
import { parseWorkerConfig, temporalConnectionOptions } from '../worker/config';
import { ApiConfigError, parseApiConfig } from './config';
import { startApi, type RunningApi } from './server';

const USAGE = 'usage: shale api --config <file> [--host <address>] [--port <port>]';

export interface ApiProcess {
  api: RunningApi;
  stop(): Promise<void>;
}

/** Loads the config, connects to Temporal and starts listening; the caller decides when to stop. */
export async function startApiFromConfig(
  configPath: string | undefined,
  overrides: { host?: string; port?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
  logger: Logger = pino({ name: 'shale-api', level: env.SHALE_LOG_LEVEL?.toLowerCase() ?? 'info' }),
): Promise<ApiProcess> {
  const raw = configPath ? ((parseYaml(await readFile(configPath, 'utf8')) ?? {}) as Record<string, unknown>) : {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ApiConfigError(configPath ?? 'config', [{ field: '(config)', message: 'must be a mapping of settings' }]);
  const apiConfig = parseApiConfig(raw.api, configPath ?? 'config');
  const shared = parseWorkerConfig(raw, env, configPath ?? 'environment');
  const connection = await Connection.connect(await temporalConnectionOptions(shared, env)).catch((err: unknown) => {
    // Name the address tried (and where it came from), as every Shale command does.
    if (isUnavailableError(err)) throw new TemporalUnavailableError(shared.temporal.address, "the API's config and environment", err);
    throw err;
  });
  const client = await ShaleClient.connect({ connection, namespace: shared.temporal.namespace, taskQueue: shared.temporal.taskQueue, identity: 'shale-api' });
  try {
    const api = await startApi({ client, config: apiConfig, env, logger, ...overrides });
    logger.info({ url: api.url, principals: apiConfig.principals.length, jwt: apiConfig.jwt !== undefined }, 'shale api listening');
    return {
      api,
      async stop() {
        await api.close();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}

/** Runs the API until SIGTERM or SIGINT; returns the process exit code. */
export async function runApi(argv: string[]): Promise<number> {
  let values: { config?: string; host?: string; port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    process.stderr.write(`--port: a port number (0-65535), not ${values.port}\n${USAGE}\n`);
    return 2;
  }
  let running: ApiProcess;
  try {
    running = await startApiFromConfig(values.config, { host: values.host, port });
  } catch (err) {
    process.stderr.write(`shale api: ${(err as Error).message}\n`);
    return err instanceof ApiConfigError || (err as Error).name === 'ConfigError' ? 2 : 10;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await running.stop();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runApi(process.argv.slice(2));
}
