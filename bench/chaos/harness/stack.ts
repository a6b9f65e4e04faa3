/**
 * The chaos suite's stack: one Temporal dev server on a SQLite file (so it can be SIGKILLed and
 * started again on the same port with its state), the workflow bundle the workers load, a client
 * connection, and moto when a scenario needs EMR. Workers are bench/stack.ts's real worker
 * processes (`shale worker --config`), Livy simulators are started in this process.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../../dev/stack/devServer';
import { startMoto, type MotoServer } from '../../../dev/stack/moto';
import { freePort } from '../../../dev/stack/ports';
import { writeWorkflowBundle } from '../../../worker/bundleWorkflows';
import { RUN_DIR as BENCH_RUN_DIR, type BenchStack } from '../../stack';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CHAOS_RUN_DIR = join(ROOT, '.run', 'chaos');

/** What bench/stack.ts's spawnShaleWorker needs (address and bundle), plus kill/restart of the server. */
export class ChaosStack implements BenchStack {
  private motoServer?: Promise<MotoServer>;

  private constructor(
    private server: DevServer,
    private readonly port: number,
    private readonly dbFile: string,
    readonly connection: Connection,
    readonly temporal: Client,
    readonly shaleBundle: string,
  ) {}

  static async start(): Promise<ChaosStack> {
    // Worker configs and logs go where bench/stack.ts's spawnShaleWorker writes them.
    await Promise.all([mkdir(CHAOS_RUN_DIR, { recursive: true }), mkdir(BENCH_RUN_DIR, { recursive: true })]);
    const dbFile = join(CHAOS_RUN_DIR, 'temporal.sqlite');
    // A fresh schema and namespace each run (search attributes are registered at start-up).
    await Promise.all(['', '-shm', '-wal'].map((suffix) => rm(`${dbFile}${suffix}`, { force: true })));
    const port = await freePort();
    const [server, bundle] = await Promise.all([
      startDevServer({ port, dbFile }),
      writeWorkflowBundle(join(CHAOS_RUN_DIR, 'workflow-bundle.js')),
    ]);
    const connection = await Connection.connect({ address: server.address });
    return new ChaosStack(server, port, dbFile, connection, new Client({ connection }), bundle.path);
  }

  get address(): string {
    return this.server.address;
  }

  get devServerPid(): number {
    return this.server.process.pid!;
  }

  /** SIGKILL: no graceful shutdown, whatever was in flight is cut. Resolves once the process is gone. */
  async killServer(): Promise<void> {
    const child = this.server.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** The same port and SQLite file: workflows, task queues and visibility survive. */
  async restartServer(): Promise<void> {
    this.server = await startDevServer({ port: this.port, dbFile: this.dbFile });
  }

  /** moto, started on first use and shared by every scenario. */
  moto(): Promise<MotoServer> {
    this.motoServer ??= startMoto();
    return this.motoServer;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    await this.server.stop();
    if (this.motoServer) await (await this.motoServer).stop();
  }
}
