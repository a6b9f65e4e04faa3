/**
 * N jobs running at once on a few Livy endpoints, at 10 s state freshness:
 * - Livy requests per running job-minute over a quiet window (and the TCP connections they used);
 * - submit → POST latency (submissions paced at a steady rate while earlier jobs run);
 * - cancel → DELETE latency (cancels paced the same way).
 * The same N jobs run under the naive timer-polling workflow and under LivyOperator-style pollers.
 */
import type { LivySimulator, RequestLogEntry } from '../../dev/livy-sim';
import { distribution, type Distribution } from '../stats';
import { delay, paced, until } from '../pacing';
import { OperatorPollers, httpNoKeepAlive } from '../baselines/operatorPoller';
import type { NaiveJobInput } from '../baselines/types';
import { finishSpread, terminalLags } from '../lag';
import { CpuMeter } from '../procfs';
import { closedWorkflows, untilAllClosed, untilAllRunning } from '../visibility';
import {
  allRequests,
  benchSpec,
  benchTaskQueue,
  closeClusters,
  shaleClient,
  shaleConfig,
  spawnBaselineWorker,
  spawnShaleWorker,
  startClusters,
  type BenchStack,
} from '../stack';

export interface RunningJobsSize {
  jobs: number;
  clusters: number;
  /** The first `sampled` submissions (and cancels) go at `ratePerSecond` and make the latency figures... */
  sampled: number;
  ratePerSecond: number;
  /** ...the rest go at `fillRatePerSecond`, only to reach `jobs` running. */
  fillRatePerSecond: number;
  windowMs: number;
  pollIntervalMs: number;
}

export interface LivyLoad {
  requestsPerJobMinute: number;
  /** Connections opened during the window, per running job-minute. */
  newConnectionsPerJobMinute: number;
  requestsInWindow: number;
}

export interface RunningJobsFigures {
  size: RunningJobsSize;
  shale: LivyLoad & { submitToPostMs: Distribution; cancelToDeleteMs: Distribution; cpuSecondsInWindow: Record<string, number> };
  naive: LivyLoad & { submitToPostMs: Distribution; terminalLagMs: Distribution };
  operator: LivyLoad & { submitToPostMs: Distribution; cancelToDeleteMs: Distribution };
}

const LONG_RUN_MS = 6 * 3600_000;

/** Calls `fn` for every index: the sampled ones at the steady rate, then the rest faster. */
async function sampledThenFill<T>(size: RunningJobsSize, fn: (i: number) => Promise<T>): Promise<T[]> {
  const sampled = Math.min(size.sampled, size.jobs);
  const first = await paced(sampled, size.ratePerSecond, fn);
  const rest = await paced(size.jobs - sampled, size.fillRatePerSecond, (i) => fn(sampled + i));
  return [...first, ...rest];
}

/** Requests that arrived in [from, to), per running job-minute, and connections first seen in it. */
function livyLoad(requests: RequestLogEntry[], from: number, to: number, jobs: number): LivyLoad {
  const seenBefore = new Set(requests.filter((r) => r.at < from).map((r) => r.connection));
  const inWindow = requests.filter((r) => r.at >= from && r.at < to);
  const newConnections = new Set(inWindow.map((r) => r.connection).filter((c) => !seenBefore.has(c)));
  const jobMinutes = (jobs * (to - from)) / 60_000;
  return {
    requestsPerJobMinute: inWindow.length / jobMinutes,
    newConnectionsPerJobMinute: newConnections.size / jobMinutes,
    requestsInWindow: inWindow.length,
  };
}

/** Arrival time of each batch's first request of `method`, by batch name. */
function arrivals(clusters: readonly LivySimulator[], method: string): Map<string, number> {
  const at = new Map<string, number>();
  for (const r of allRequests(clusters)) if (r.method === method && r.batchName && !at.has(r.batchName)) at.set(r.batchName, r.at);
  return at;
}

function latencies(sent: ReadonlyArray<{ batchName: string; at: number }>, arrived: Map<string, number>): number[] {
  return sent.map((s) => (arrived.get(s.batchName) ?? NaN) - s.at).filter((ms) => Number.isFinite(ms));
}

async function waitForArrivals(clusters: readonly LivySimulator[], method: string, names: readonly string[], timeoutMs: number): Promise<void> {
  await until(`${names.length} ${method}s to reach Livy`, () => {
    const got = arrivals(clusters, method);
    const missing = names.filter((n) => !got.has(n)).length;
    return missing === 0 || `${missing} missing`;
  }, timeoutMs);
}

async function shaleRun(stack: BenchStack, size: RunningJobsSize): Promise<RunningJobsFigures['shale']> {
  const clusters = await startClusters(size.clusters);
  const taskQueue = benchTaskQueue('running');
  const worker = await spawnShaleWorker(stack, 'shale-running', shaleConfig(taskQueue, clusters, { pollIntervalMs: size.pollIntervalMs }));
  try {
    const client = await shaleClient(stack, taskQueue);
    const submitted = await sampledThenFill(size, async (i) => {
      const at = Date.now();
      const { jobId } = await client.submit(benchSpec(`running-${i}`, LONG_RUN_MS));
      return { jobId, batchName: `${jobId}-a1`, at };
    });
    const names = submitted.map((s) => s.batchName);
    await waitForArrivals(clusters, 'POST', names, 60_000 + size.jobs * 100);
    await untilAllRunning(stack.temporal, taskQueue, size.jobs, 60_000 + size.jobs * 100, 500);
    // Quiet window: every job is running and tracked; only the watchers talk to Livy.
    const cpu = new CpuMeter({ worker: worker.pid, temporal: stack.devServerPid, driver: process.pid });
    await cpu.start();
    const from = Date.now();
    await delay(size.windowMs);
    const to = Date.now();
    const cpuSecondsInWindow = await cpu.read();
    const load = livyLoad(allRequests(clusters), from, to, size.jobs);

    const cancelled = await sampledThenFill(size, async (i) => {
      const job = submitted[i]!;
      const at = Date.now();
      const answer = await client.cancel(job.jobId, { reason: 'bench: cancel latency' });
      if (!answer.accepted) throw new Error(`bench: cancel of ${job.jobId} not accepted: ${answer.message}`);
      return { batchName: job.batchName, at };
    });
    await waitForArrivals(clusters, 'DELETE', names, 60_000 + size.jobs * 100);
    await untilAllClosed(stack.temporal, taskQueue, 120_000, 500);
    return {
      ...load,
      submitToPostMs: distribution(latencies(submitted.slice(0, size.sampled), arrivals(clusters, 'POST'))),
      cancelToDeleteMs: distribution(latencies(cancelled.slice(0, size.sampled), arrivals(clusters, 'DELETE'))),
      cpuSecondsInWindow,
    };
  } finally {
    await worker.stop();
    await closeClusters(clusters);
  }
}

async function naiveRun(stack: BenchStack, size: RunningJobsSize, finishOverMs: number): Promise<RunningJobsFigures['naive']> {
  const clusters = await startClusters(size.clusters);
  const taskQueue = benchTaskQueue('naive');
  const worker = await spawnBaselineWorker(stack, 'naive-running', taskQueue);
  try {
    const started = await sampledThenFill(size, async (i) => {
      const name = `${taskQueue}-${i}`;
      const input: NaiveJobInput = { livyUrl: clusters[i % clusters.length]!.url, name, conf: { 'shale.sim.durationMs': String(LONG_RUN_MS) }, pollSeconds: size.pollIntervalMs / 1000 };
      const at = Date.now();
      await stack.temporal.workflow.start('naivePollingJob', { taskQueue, workflowId: name, args: [input] });
      return { batchName: name, at };
    });
    const names = started.map((s) => s.batchName);
    await waitForArrivals(clusters, 'POST', names, 60_000 + size.jobs * 100);
    // Let every job reach its steady loop (its first poll) before the window opens.
    await delay(size.pollIntervalMs);
    const from = Date.now();
    await delay(size.windowMs);
    const load = livyLoad(allRequests(clusters), from, Date.now(), size.jobs);
    const endedAt = await finishSpread(clusters, names, finishOverMs);
    await untilAllClosed(stack.temporal, taskQueue, 120_000, 500);
    const closed = await closedWorkflows(stack.temporal, taskQueue);
    return {
      ...load,
      submitToPostMs: distribution(latencies(started.slice(0, size.sampled), arrivals(clusters, 'POST'))),
      terminalLagMs: distribution(terminalLags(closed, endedAt, (id) => id)),
    };
  } finally {
    await worker.stop();
    await closeClusters(clusters);
  }
}

async function operatorRun(size: RunningJobsSize): Promise<RunningJobsFigures['operator']> {
  const clusters = await startClusters(size.clusters);
  const pollers = new OperatorPollers();
  try {
    const started = await sampledThenFill(size, async (i) => {
      const name = `operator-${Date.now().toString(36)}-${i}`;
      const cluster = clusters[i % clusters.length]!;
      const at = Date.now();
      const id = await pollers.start(cluster.url, name, { 'shale.sim.durationMs': String(LONG_RUN_MS) }, size.pollIntervalMs);
      return { batchName: name, at, id, url: cluster.url };
    });
    await delay(size.pollIntervalMs);
    const from = Date.now();
    await delay(size.windowMs);
    const load = livyLoad(allRequests(clusters), from, Date.now(), size.jobs);
    pollers.stop();
    // on_kill(): the operator's DELETE, straight from the task, on a new connection.
    const cancelled = await sampledThenFill(size, async (i) => {
      const job = started[i]!;
      const at = Date.now();
      await httpNoKeepAlive('DELETE', `${job.url}/batches/${job.id}`);
      return { batchName: job.batchName, at };
    });
    return {
      ...load,
      submitToPostMs: distribution(latencies(started.slice(0, size.sampled), arrivals(clusters, 'POST'))),
      cancelToDeleteMs: distribution(latencies(cancelled.slice(0, size.sampled), arrivals(clusters, 'DELETE'))),
    };
  } finally {
    pollers.stop();
    await closeClusters(clusters);
  }
}

export async function measureRunningJobs(stack: BenchStack, size: RunningJobsSize, finishOverMs: number): Promise<RunningJobsFigures> {
  const shale = await shaleRun(stack, size);
  const naive = await naiveRun(stack, size, finishOverMs);
  const operator = await operatorRun(size);
  return { size, shale, naive, operator };
}
