/**
 * End-to-end throughput of short jobs (submit → route → POST → track → SUCCEEDED) next to the rate
 * at which the same dev server starts and completes an empty workflow, both offered as fast as a
 * client with `concurrency` starts in flight can go.
 */
import type { Client } from '@temporalio/client';
import { pool } from '../pacing';
import { closedWorkflows, untilAllClosed } from '../visibility';
import { benchSpec, benchTaskQueue, closeClusters, shaleClient, shaleConfig, spawnBaselineWorker, spawnShaleWorker, startClusters, type BenchStack } from '../stack';

export interface ThroughputSize {
  jobs: number;
  clusters: number;
  concurrency: number;
  /** State freshness for short jobs. */
  pollIntervalMs: number;
}

export interface ThroughputFigures {
  size: ThroughputSize;
  rawWorkflowsPerSecond: number;
  shaleJobsPerSecond: number;
  ratio: number;
  shaleSucceeded: number;
}

/** Jobs per second from the first start to the last close. */
async function drain(temporal: Client, taskQueue: string, jobs: number, startedAt: number) {
  await untilAllClosed(temporal, taskQueue, 60_000 + jobs * 200, 250);
  const closed = await closedWorkflows(temporal, taskQueue);
  if (closed.length !== jobs) throw new Error(`bench: ${closed.length} of ${jobs} workflows closed`);
  const lastClose = Math.max(...closed.map((c) => c.closeMs));
  return { perSecond: jobs / ((lastClose - startedAt) / 1000), completed: closed.filter((c) => c.status === 'COMPLETED').length };
}

export async function measureThroughput(stack: BenchStack, size: ThroughputSize): Promise<ThroughputFigures> {
  const ids = Array.from({ length: size.jobs }, (_, i) => i);

  const rawQueue = benchTaskQueue('raw');
  const baseline = await spawnBaselineWorker(stack, 'raw-throughput', rawQueue);
  let raw: { perSecond: number };
  try {
    const startedAt = Date.now();
    await pool(ids, size.concurrency, (i) => stack.temporal.workflow.start('emptyWorkflow', { taskQueue: rawQueue, workflowId: `${rawQueue}-${i}` }));
    raw = await drain(stack.temporal, rawQueue, size.jobs, startedAt);
  } finally {
    await baseline.stop();
  }

  const clusters = await startClusters(size.clusters, { startingMs: 0 });
  const taskQueue = benchTaskQueue('throughput');
  const worker = await spawnShaleWorker(stack, 'shale-throughput', shaleConfig(taskQueue, clusters, { pollIntervalMs: size.pollIntervalMs }));
  try {
    const client = await shaleClient(stack, taskQueue);
    const startedAt = Date.now();
    await pool(ids, size.concurrency, (i) => client.submit(benchSpec(`short-${i}`, 0)));
    const shale = await drain(stack.temporal, taskQueue, size.jobs, startedAt);
    return {
      size,
      rawWorkflowsPerSecond: raw.perSecond,
      shaleJobsPerSecond: shale.perSecond,
      ratio: shale.perSecond / raw.perSecond,
      shaleSucceeded: shale.completed,
    };
  } finally {
    await worker.stop();
    await closeClusters(clusters);
  }
}
