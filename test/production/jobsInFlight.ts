/**
 * Jobs kept in flight across a fault of the production-shaped stack, and what must hold once they
 * end: every job SUCCEEDED in one attempt, and each one's batch POSTed to Livy exactly once (the
 * simulators' request logs), so no job was lost and none ever had a second batch beside its first.
 */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { ShaleClient } from '../../client/shaleClient';
import type { JobStatus } from '../../contract';
import type { BatchView, LivySimulator, RequestLogEntry } from '../../dev/livy-sim';

export interface SimulatedClusters {
  spark2: LivySimulator;
  spark3: LivySimulator;
}

/** A few seconds of simulated Spark, on either cluster: long enough that a fault lands mid-job. */
export function inFlightSpec(scenario: string, index: number) {
  return {
    name: `${scenario}-${index}`,
    team: 'production',
    kind: 'pyspark',
    file: 's3://shale-production/jobs/app.py',
    route: { sparkVersion: index % 2 === 0 ? '3' : '2' },
    retry: { initialBackoff: 1, maxBackoff: 2 },
    conf: { 'shale.sim.durationMs': String(3_000 + (index % 4) * 1_000) },
  };
}

export async function submitJobs(client: ShaleClient, scenario: string, count: number): Promise<string[]> {
  const jobIds: string[] = [];
  for (let i = 0; i < count; i++) jobIds.push((await client.submit(inFlightSpec(scenario, i))).jobId);
  return jobIds;
}

/** Every batch POST of a job (any attempt, on either cluster). */
export function livyPosts(clusters: SimulatedClusters, jobId: string): RequestLogEntry[] {
  return [clusters.spark2, clusters.spark3].flatMap((sim) => sim.requests({ method: 'POST' }).filter((e) => e.batchName?.startsWith(`${jobId}-a`)));
}

/** Polls (bounded) until at least `count` of the jobs have had their batch POSTed. */
export async function untilPosted(clusters: SimulatedClusters, jobIds: string[], count: number, timeoutMs: number): Promise<void> {
  await pollUntil(timeoutMs, 100, () => {
    const posted = jobIds.filter((id) => livyPosts(clusters, id).length > 0).length;
    return posted >= count ? true : `${posted} of ${jobIds.length} jobs POSTed to Livy, waiting for ${count}`;
  });
}

/** The jobs' batches as Livy lists them now (GET /batches on both simulators): proof that the fault came mid-job. */
export async function liveBatches(clusters: SimulatedClusters, jobIds: string[]): Promise<BatchView[]> {
  const lists = await Promise.all(
    [clusters.spark2, clusters.spark3].map(async (sim) => ((await (await fetch(`${sim.url}/batches?size=1000`)).json()) as { sessions: BatchView[] }).sessions),
  );
  return lists.flat().filter((b) => jobIds.some((id) => b.name?.startsWith(`${id}-a`)) && ['starting', 'running', 'recovering'].includes(b.state));
}

const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const CLOSED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

/**
 * Polls (bounded) until every job's workflow is closed, then reads each one's final status. Each poll
 * asks the clients in turn: while a server or PostgreSQL is down, some calls fail, and that is not an
 * answer. On the deadline, says which jobs are still open.
 */
export async function untilAllEnded(clients: ShaleClient[], jobIds: string[], timeoutMs: number): Promise<JobStatus[]> {
  const closed = new Set<string>();
  const open = () => jobIds.filter((id) => !closed.has(id));
  try {
    await pollUntil(timeoutMs, 250, async () => {
      await Promise.all(
        open().map(async (jobId) => {
          const status = await firstAnswer(clients, (c) => c.temporal.workflow.getHandle(jobId).describe().then((d) => d.status.name));
          if (status !== undefined && CLOSED.has(status)) closed.add(jobId);
        }),
      );
      return closed.size === jobIds.length || `${jobIds.length - closed.size} of ${jobIds.length} jobs still open`;
    });
  } catch (err) {
    const details = await Promise.all(open().map((jobId) => firstAnswer(clients, (c) => whereItWaits(c, jobId)).then((d) => `${jobId}: ${d ?? 'no server answered'}`)));
    throw new Error(`${(err as Error).message}:\n  ${details.join('\n  ')}`);
  }
  const statuses = new Map<string, JobStatus>();
  await pollUntil(30_000, 250, async () => {
    await Promise.all(
      jobIds
        .filter((id) => !statuses.has(id))
        .map(async (jobId) => {
          const status = await firstAnswer(clients, (c) => c.status(jobId));
          if (status) statuses.set(jobId, status);
        }),
    );
    return statuses.size === jobIds.length || `no server answered the status of ${jobIds.filter((id) => !statuses.has(id)).join(', ')}`;
  });
  return jobIds.map((id) => statuses.get(id)!);
}

/** What must hold after a fault, as one list of violations (empty when all is well). */
export function violations(clusters: SimulatedClusters, statuses: JobStatus[]): string[] {
  return statuses.flatMap((status) => {
    const posts = livyPosts(clusters, status.jobId);
    const found: string[] = [];
    if (status.state !== 'SUCCEEDED') found.push(`${status.jobId} ended ${status.state}${status.lastError ? ` (${status.lastError.message})` : ''}`);
    if (status.attempts.length !== 1) found.push(`${status.jobId} made ${status.attempts.length} attempts`);
    if (posts.length !== 1) found.push(`${status.jobId}: ${posts.length} Livy POSTs (${posts.map((p) => `${p.batchName} → ${p.status}`).join(', ')})`);
    return found;
  });
}

export async function connectClients(connections: Connection[], taskQueue: string, namespace: string): Promise<ShaleClient[]> {
  return Promise.all(connections.map((connection, i) => ShaleClient.connect({ connection, namespace, taskQueue, identity: `production-suite@server${i + 1}` })));
}

/** The identities (`pid@host`) of the workers running the jobs' activities now, one entry per started activity. */
export async function activityHolders(clients: ShaleClient[], jobIds: string[]): Promise<string[]> {
  const holders = await Promise.all(
    jobIds.map((jobId) =>
      firstAnswer(clients, async (c) => {
        const { raw } = await c.temporal.workflow.getHandle(jobId).describe();
        return (raw.pendingActivities ?? []).filter((a) => a.state === STARTED && a.lastWorkerIdentity).map((a) => a.lastWorkerIdentity!);
      }),
    ),
  );
  return holders.flatMap((h) => h ?? []);
}

/** An open job's state and what its workflow waits on (pending activities with their attempt and last failure), for a failure message. */
async function whereItWaits(client: ShaleClient, jobId: string): Promise<string> {
  const { raw } = await client.temporal.workflow.getHandle(jobId).describe();
  const state = raw.workflowExecutionInfo?.searchAttributes?.indexedFields?.ShaleState;
  const activities = (raw.pendingActivities ?? []).map(
    (a) => `${a.activityType?.name} attempt ${a.attempt} state ${a.state}${a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message})` : ''}`,
  );
  const task = raw.pendingWorkflowTask ? `workflow task ${raw.pendingWorkflowTask.state} attempt ${raw.pendingWorkflowTask.attempt}` : 'no workflow task';
  return `ShaleState ${state?.data ? Buffer.from(state.data).toString() : '?'}; ${task}; ${activities.join('; ') || 'no pending activity'}`;
}

/**
 * The first answer any client gives within a couple of seconds (all are asked at once). A call to a
 * dead server is retried by the SDK (UNAVAILABLE) for many seconds: waiting on it in turn would
 * measure that, not the stack.
 */
async function firstAnswer<T>(clients: ShaleClient[], call: (client: ShaleClient) => Promise<T>): Promise<T | undefined> {
  try {
    return await Promise.any(clients.map((client) => client.temporal.connection.withDeadline(Date.now() + 2_000, () => call(client))));
  } catch {
    // No server (or the database behind them) answers now: not an answer, the caller polls again.
    return undefined;
  }
}

/** Calls `check` every `intervalMs` until it returns true; on the deadline, fails with the last thing it said. */
export async function pollUntil(timeoutMs: number, intervalMs: number, check: () => Promise<true | string> | true | string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer === true) return;
    if (Date.now() >= deadline) throw new Error(`after ${Math.round(timeoutMs / 1000)} s: ${answer}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
