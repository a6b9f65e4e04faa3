/** A real EMR API for tests and the demo: moto's server on loopback (clusters are free and instant). */
import type { ChildProcess } from 'node:child_process';
import { freePort } from './ports';
import { spawnServer, stopProcess } from './processes';
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
  const child = await spawnServer('moto_server', resolveTools().motoServer, ['-H', '127.0.0.1', '-p', String(port)], port);
  return { endpoint: `http://127.0.0.1:${port}`, process: child, stop: () => stopProcess(child) };
}
