/** Starts Temporal's dev server (SQLite, optional Web UI) with Shale's search attributes registered. */
import { spawn, type ChildProcess } from 'node:child_process';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../contract';
import { freePort, waitForPort } from './ports';
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

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const { temporal } = resolveTools();
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  if (options.headless ?? true) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? 8233));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [name, type] of SEARCH_ATTRIBUTE_DECLARATIONS) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const child = spawn(temporal, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal dev server exited (${code}): ${stderr}`))),
  );
  await Promise.race([waitForPort(port, 60_000), exited]);
  exited.catch(() => undefined);
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: options.headless === false ? `http://localhost:${options.uiPort ?? 8233}` : undefined,
    process: child,
    stop: () => stopProcess(child),
  };
}

export function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}
