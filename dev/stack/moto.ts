/** A real EMR API for tests and the demo: moto's server on loopback (clusters are free and instant). */
import { spawn, type ChildProcess } from 'node:child_process';
import { stopProcess } from './devServer';
import { freePort, waitForPort } from './ports';
import { resolveTools } from './tools';

export interface MotoServer {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** moto accepts any credentials; the AWS SDK still wants some in its default chain. */
export const MOTO_ENV = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn(resolveTools().motoServer, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`moto_server exited (${code}): ${stderr}`))));
  await Promise.race([waitForPort(port, 60_000), exited]);
  exited.catch(() => undefined);
  return { endpoint: `http://127.0.0.1:${port}`, process: child, stop: () => stopProcess(child) };
}
