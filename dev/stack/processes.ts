/** Starting and stopping the local stack's server processes (Temporal dev server, moto). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fstatSync } from 'node:fs';
import { waitForPort } from './ports';

/** Spawns a server and resolves once it listens on `port`; rejects with its stderr if it exits first. */
export async function spawnServer(label: string, command: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${label} exited (${code}): ${stderr}`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort(port, 60_000), exited]);
  } catch (err) {
    // A server that never listened must not outlive the attempt (e.g. one still starting after the timeout).
    await stopProcess(child, 2_000);
    throw err;
  }
  return child;
}

export function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/** A pipe or socket on stdin (a parent holding it) is watched by the stack scripts; a terminal or /dev/null is not. */
export function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
