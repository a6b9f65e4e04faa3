/**
 * The bench's stack: its own Temporal dev server, in-process Livy simulators (so arrival times and
 * the driver's clock are the same clock), and workers in child processes (so their RSS is theirs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { processStats, type ProcessStats } from './procfs';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../dev/stack/devServer';
import { startLivySimulator, type LivySimulator, type RequestLogEntry } from '../dev/livy-sim';
import { stopProcess } from '../dev/stack/processes';
import { ShaleClient } from '../client/shaleClient';
import { writeWorkflowBundle } from '../worker/bundleWorkflows';
import type { WorkerConfigInput } from '../worker/config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RUN_DIR = join(ROOT, '.run', 'bench');

export interface BenchStack {
  address: string;
  devServerPid: number;
  connection: Connection;
  temporal: Client;
  shaleBundle: string;
  close(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  await mkdir(RUN_DIR, { recursive: true });
  const [server, bundle] = await Promise.all([startDevServer(), writeWorkflowBundle(join(RUN_DIR, 'workflow-bundle.js'))]);
  const connection = await Connection.connect({ address: server.address });
  return {
    address: server.address,
    devServerPid: server.process.pid!,
    connection,
    temporal: new Client({ connection }),
    shaleBundle: bundle.path,
    async close() {
      await connection.close();
      await server.stop();
    },
  };
}

/** `count` simulated Livy servers (one per cluster), sized like a big shared Livy. */
export async function startClusters(count: number, opts: { startingMs?: number; defaultDurationMs?: number } = {}): Promise<LivySimulator[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startLivySimulator({ name: `bench-${i}`, startingMs: opts.startingMs ?? 100, defaultDurationMs: opts.defaultDurationMs ?? 1000, maxInFlightSubmits: 10_000 }),
    ),
  );
}

export function allRequests(clusters: readonly LivySimulator[]): RequestLogEntry[] {
  return clusters.flatMap((c, i) => c.requests().map((r) => ({ ...r, connection: i * 1_000_000 + r.connection })));
}

export async function closeClusters(clusters: readonly LivySimulator[]): Promise<void> {
  await Promise.all(clusters.map((c) => c.close()));
}

/** Extra Node flags for worker processes, e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=.run/bench/prof' to profile them. */
function nodeArgs(): string[] {
  return (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** A worker running in its own process; its memory and CPU are read from /proc. */
export class WorkerProcess {
  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {}

  static async spawn(label: string, args: string[], env: NodeJS.ProcessEnv, readyLine: string): Promise<WorkerProcess> {
    const log = createWriteStream(join(RUN_DIR, `${label}.log`));
    const child = spawn(process.execPath, [...nodeArgs(), '--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (stderr.length < 100_000) stderr += chunk.toString();
        if (stderr.includes(readyLine)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it was ready:\n${stderr.slice(-3000)}`)));
    });
    return new WorkerProcess(label, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  stats(): Promise<ProcessStats> {
    return processStats(this.pid);
  }

  stop(): Promise<void> {
    return stopProcess(this.child, 30_000);
  }
}

/** Shale's real worker (`shale worker --config`), on the pre-built workflow bundle like the production image. */
export async function spawnShaleWorker(stack: BenchStack, label: string, config: WorkerConfigInput): Promise<WorkerProcess> {
  const file = join(RUN_DIR, `${label}.json`);
  await writeFile(file, JSON.stringify({ ...config, temporal: { address: stack.address, ...config.temporal } }, null, 2));
  return WorkerProcess.spawn(label, ['client/cli.ts', 'worker', '--config', file], { SHALE_WORKFLOW_BUNDLE: stack.shaleBundle }, 'shale worker: namespace');
}

export async function spawnBaselineWorker(stack: BenchStack, label: string, taskQueue: string): Promise<WorkerProcess> {
  return WorkerProcess.spawn(label, ['bench/baselines/worker.ts', stack.address, taskQueue], {}, 'baseline worker: polling');
}

export async function shaleClient(stack: BenchStack, taskQueue: string): Promise<ShaleClient> {
  return ShaleClient.connect({ connection: stack.connection, taskQueue, identity: 'bench@driver' });
}

/** A pyspark job on the simulated Spark 3 clusters; the simulator runs it for `durationMs`. */
export function benchSpec(name: string, durationMs: number) {
  return {
    name,
    team: 'bench',
    kind: 'pyspark',
    file: 's3://bench/jobs/app.py',
    route: { sparkVersion: '3' },
    conf: { 'shale.sim.durationMs': String(durationMs) },
  };
}

/** The worker config every Shale scenario starts from: the clusters, and a submission rate a bench can use. */
export function shaleConfig(taskQueue: string, clusters: readonly LivySimulator[], livy: { pollIntervalMs: number }, worker: Record<string, unknown> = {}): WorkerConfigInput {
  return {
    temporal: { taskQueue },
    clusters: clusters.map((c, i) => ({ id: `bench-emr-${i}`, livyUrl: c.url, sparkVersion: '3' as const, pool: 'default' })),
    livy,
    clusterHealth: { submissionsPerSecond: 1000, submissionBurst: 1000 },
    worker: { logLevel: 'INFO', ...worker },
  };
}

let queueCounter = 0;
export function benchTaskQueue(prefix: string): string {
  return `bench-${prefix}-${Date.now().toString(36)}-${queueCounter++}`;
}
