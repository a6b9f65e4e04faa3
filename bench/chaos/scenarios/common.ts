/** What the scenarios share: the job spec they submit, waiting on a job's state, and the three cancel paths. */
import { cancelSignal, requestCancelUpdate, statusQuery, type CancelAnswer, type CancelVia, type JobStatus } from '../../../contract';
import { until } from '../../pacing';
import type { ScenarioContext } from '../harness/scenario';

/** A pyspark job on the simulated Spark 3 clusters; `conf` drives the simulated batch (dev/livy-sim). */
export function chaosSpec(name: string, conf: Record<string, string> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    team: 'chaos',
    kind: 'pyspark',
    file: 's3://chaos/jobs/app.py',
    route: { sparkVersion: '3' },
    retry: { initialBackoff: 1, maxBackoff: 2 },
    conf: { 'shale.sim.durationMs': '1000', ...conf },
    ...extra,
  };
}

/** The job's status from the running workflow (a query), or undefined while it cannot answer. */
export async function queryStatus(ctx: ScenarioContext, jobId: string): Promise<JobStatus | undefined> {
  try {
    return await ctx.handle(jobId).query(statusQuery);
  } catch {
    return undefined;
  }
}

/** Polls the job's status until `accept` holds; throws after `timeoutMs` with the state it was in. */
export async function waitForJob(
  ctx: ScenarioContext,
  jobId: string,
  what: string,
  accept: (s: JobStatus) => boolean,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<JobStatus> {
  let last: JobStatus | undefined;
  await until(
    `${jobId} ${what}`,
    async () => {
      last = await queryStatus(ctx, jobId);
      return (last !== undefined && accept(last)) || `it is ${last?.state ?? 'not answering'}`;
    },
    timeoutMs,
    intervalMs,
  );
  return last!;
}

export const isRunning = (s: JobStatus) => s.state === 'RUNNING';

/** Waits until every job is RUNNING (by the ShaleState search attribute, one count per poll). */
export async function waitAllRunning(ctx: ScenarioContext, jobIds: readonly string[], timeoutMs: number): Promise<void> {
  await until(
    `${jobIds.length} jobs RUNNING`,
    async () => {
      const states = await Promise.all(jobIds.map((id) => queryStatus(ctx, id)));
      const running = states.filter((s) => s?.state === 'RUNNING').length;
      return running === jobIds.length || `${running} of ${jobIds.length} running`;
    },
    timeoutMs,
    250,
  );
}

/** Sends a cancel through one of the three paths of DESIGN.md rule 4; an Update's answer is returned. */
export async function sendCancel(ctx: ScenarioContext, jobId: string, via: CancelVia, who: { requestedBy: string; reason: string }): Promise<CancelAnswer | undefined> {
  const handle = ctx.handle(jobId);
  switch (via) {
    case 'signal':
      await handle.signal(cancelSignal, who);
      return undefined;
    case 'update':
      return handle.executeUpdate(requestCancelUpdate, { args: [who] });
    case 'workflow-cancel':
      await handle.cancel();
      return undefined;
  }
}

export function pick<T>(items: readonly T[], i: number): T {
  return items[i % items.length]!;
}

export function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
