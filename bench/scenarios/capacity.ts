/**
 * The most jobs one worker process tracks at once: N long jobs submitted and running, the worker's
 * peak RSS, then every batch ended at a steady rate and the lag until each workflow completed.
 */
import { distribution, type Distribution } from '../stats';
import { paced } from '../pacing';
import { finishSpread, terminalLags } from '../lag';
import { CpuMeter } from '../procfs';
import { closedWorkflows, untilAllClosed, untilAllRunning } from '../visibility';
import { benchSpec, benchTaskQueue, closeClusters, shaleClient, shaleConfig, spawnShaleWorker, startClusters, type BenchStack } from '../stack';

export interface CapacitySize {
  jobs: number;
  clusters: number;
  ratePerSecond: number;
  /** Batches are ended evenly over this long. */
  finishOverMs: number;
  pollIntervalMs: number;
  worker: Record<string, unknown>;
}

export interface CapacityFigures {
  size: CapacitySize;
  runningAtOnce: number;
  /** How long it took to get every job running (submissions at ratePerSecond). */
  rampSeconds: number;
  rssWhileRunningMb: number;
  peakRssMb: number;
  terminalLagMs: Distribution;
  cpuSeconds: { ramp: Record<string, number>; finish: Record<string, number> };
  succeeded: number;
}

export async function measureCapacity(stack: BenchStack, size: CapacitySize): Promise<CapacityFigures> {
  const clusters = await startClusters(size.clusters);
  const taskQueue = benchTaskQueue('capacity');
  const worker = await spawnShaleWorker(stack, 'shale-capacity', shaleConfig(taskQueue, clusters, { pollIntervalMs: size.pollIntervalMs }, size.worker));
  try {
    const client = await shaleClient(stack, taskQueue);
    const cpu = new CpuMeter({ worker: worker.pid, temporal: stack.devServerPid, driver: process.pid });
    await cpu.start();
    const rampStart = Date.now();
    const submitted = await paced(size.jobs, size.ratePerSecond, async (i) => (await client.submit(benchSpec(`capacity-${i}`, 24 * 3600_000))).jobId);
    const runningAtOnce = await untilAllRunning(stack.temporal, taskQueue, size.jobs, 120_000 + size.jobs * 200, 1000);
    const rampSeconds = (Date.now() - rampStart) / 1000;
    const ramp = await cpu.read();
    const rssWhileRunningMb = (await worker.stats()).rssMb;

    await cpu.start();
    const endedAt = await finishSpread(clusters, submitted.map((id) => `${id}-a1`), size.finishOverMs);
    await untilAllClosed(stack.temporal, taskQueue, 120_000 + size.jobs * 100, 500);
    const finish = await cpu.read();
    const closed = await closedWorkflows(stack.temporal, taskQueue);
    const { peakRssMb } = await worker.stats();
    return {
      size,
      runningAtOnce,
      rampSeconds,
      rssWhileRunningMb,
      peakRssMb,
      terminalLagMs: distribution(terminalLags(closed, endedAt, (id) => `${id}-a1`)),
      cpuSeconds: { ramp, finish },
      succeeded: closed.filter((c) => c.status === 'COMPLETED').length,
    };
  } finally {
    await worker.stop();
    await closeClusters(clusters);
  }
}
