/** Starts Temporal's dev server (SQLite, optional Web UI) with Shale's search attributes registered. */
import type { ChildProcess } from 'node:child_process';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../contract';
import { freePort } from './ports';
import { spawnServer, stopProcess } from './processes';
import { resolveTools } from './tools';

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  headless?: boolean;
  dbFile?: string;
  /** Low thresholds let tests see continue-as-new without thousands of events. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/**
 * The server hands a worker the activity its workflow task just scheduled in the same answer, instead
 * of through the task queue: a hop less per activity (bench: submit → POST p50 from ~190 to ~30 ms at
 * 5 jobs/s). Off by default in a self-hosted server; see the README's "Sizing a worker".
 */
export const EAGER_ACTIVITIES = { 'system.enableActivityEagerExecution': true } as const;

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const { temporal } = resolveTools();
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  if (options.headless ?? true) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? 8233));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [name, type] of SEARCH_ATTRIBUTE_DECLARATIONS) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries({ ...EAGER_ACTIVITIES, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const child = await spawnServer('temporal dev server', temporal, args, port);
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: options.headless === false ? `http://localhost:${options.uiPort ?? 8233}` : undefined,
    process: child,
    stop: () => stopProcess(child),
  };
}
