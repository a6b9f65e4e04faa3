/**
 * Issue 9 item 5: junk sent to every handler of a running job (fast-check): the signal `cancel`,
 * the Update `requestCancel` and the query `status`. A bad Update is rejected (by a validator:
 * nothing written to history), a bad signal is ignored, a query answers; the job goes on running,
 * no workflow task fails, and a correct cancel sent afterwards still works.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster, type ScenarioContext } from '../harness/scenario';
import { chaosSpec, queryStatus, waitAllRunning } from './common';
import { junkCancelArgs, samples, SEED } from './hostileInput';
import { until } from '../../pacing';

const EventType = proto.temporal.api.enums.v1.EventType;

function shown(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 60);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Every signal and Update recorded so far has been handed to the workflow (a task completed after it). */
async function requestsHandled(ctx: ScenarioContext, jobId: string): Promise<void> {
  const REQUESTS = new Set<number>([EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]);
  await until(
    `${jobId} to handle its requests`,
    async () => {
      const events = (await ctx.handle(jobId).fetchHistory()).events ?? [];
      const lastRequest = events.findLastIndex((e) => REQUESTS.has(e.eventType ?? 0));
      const lastDone = events.findLastIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED || e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      return lastDone > lastRequest || 'not yet';
    },
    30_000,
    100,
  );
}

/** How long an Update or a query may take: a job whose workflow task keeps failing never answers. */
const ANSWER_WITHIN_MS = 10_000;

/** Sends one junk payload to each handler; false if the job stopped answering (wedged). */
async function junkOne(ctx: ScenarioContext, jobId: string, junk: unknown, n: number): Promise<boolean> {
  const handle = ctx.handle(jobId);
  const temporal = ctx.client.temporal;
  const what = `${jobId} ${shown(junk)}`;
  const timedOut = (err: unknown) => /deadline|timed? ?out/i.test(String((err as Error)?.message ?? err));
  // Signal: fire and forget; whether it was ignored shows in the job afterwards.
  await handle.signal('cancel', junk).catch(() => undefined);
  try {
    const answer = await temporal.withDeadline(Date.now() + ANSWER_WITHIN_MS, () => handle.executeUpdate('requestCancel', { args: [junk], updateId: `junk-${n}-${jobId}` }));
    ctx.check('junk Update rejected', false, `${what}: answered ${shown(answer)}`);
  } catch (err) {
    if (timedOut(err)) {
      ctx.check('junk Update rejected', false, `${what}: no answer within ${ANSWER_WITHIN_MS / 1000} s (the job no longer answers)`);
      return false;
    }
    if (err instanceof WorkflowNotFoundError) {
      // The junk (this signal or an earlier one) ended the job: reported by "job still RUNNING after the junk".
      return false;
    }
    ctx.check('junk Update rejected', err instanceof WorkflowUpdateFailedError, `${what}: ${(err as Error).name}: ${(err as Error).message.slice(0, 80)}`);
  }
  try {
    const status = await temporal.withDeadline(Date.now() + ANSWER_WITHIN_MS, () => handle.query('status', junk));
    ctx.check('query with junk args answered', typeof status === 'object' && status !== null, `${what}: ${shown(status)}`);
  } catch (err) {
    // A query may be refused as a query failure; not answering at all means the job is wedged.
    ctx.check('query with junk args answered', !timedOut(err), `${what}: ${(err as Error).message.slice(0, 80)}`);
    if (timedOut(err)) return false;
  }
  return true;
}

export const hostilePayloads: ScenarioDefinition = {
  name: 'hostile-payloads',
  what: 'junk to signal cancel, Update requestCancel and query status (fast-check); the job goes on',
  drainTimeoutMs: () => 60_000,
  async run(ctx) {
    const { jobs, payloadsPerHandler } = ctx.size.hostilePayloads;
    const sim = await ctx.livy('payloads');
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('payloads', sim)]));
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      ids.push(await ctx.submit(chaosSpec(`payloads-${i}`, { 'shale.sim.durationMs': '600000' }), { label: 'junk, then a real cancel', expect: ['CANCELLED'] }));
    }
    await waitAllRunning(ctx, ids, 30_000);
    ctx.step(`${payloadsPerHandler} junk payloads per handler on each of ${jobs} jobs (seed ${SEED})`);
    let n = 0;
    for (const [j, jobId] of ids.entries()) {
      for (const junk of samples(junkCancelArgs, payloadsPerHandler, SEED + j * 1000)) {
        if (!(await junkOne(ctx, jobId, junk, n++))) {
          ctx.step(`${jobId} stopped answering or ended after junk ${shown(junk)}; no more junk for it`);
          break;
        }
      }
    }
    for (const jobId of ids) {
      try {
        await requestsHandled(ctx, jobId);
      } catch (err) {
        ctx.check('junk handled', false, `${jobId}: ${(err as Error).message}`);
      }
      const status = await queryStatus(ctx, jobId);
      ctx.check('job still RUNNING after the junk', status?.state === 'RUNNING' && status.cancel === undefined, `${jobId}: ${status ? `${status.state}${status.cancel ? `, cancel on record from ${shown(status.cancel)}` : ''}` : 'status query fails'}`);
      const history = await ctx.handle(jobId).fetchHistory();
      const accepted = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length;
      ctx.check('rejected Updates left no trace in history', accepted === 0, `${jobId}: ${accepted} junk Update(s) accepted into history`);
    }
    ctx.step('a correct cancel on each job');
    for (const jobId of ids) {
      const answer = await ctx.client.temporal
        .withDeadline(Date.now() + 15_000, () => ctx.client.cancel(jobId, { reason: 'chaos: the real cancel', requestedBy: 'chaos' }))
        .catch((err: Error) => err);
      ctx.check('real cancel accepted after the junk', !(answer instanceof Error) && answer.accepted, `${jobId}: ${answer instanceof Error ? answer.message.split('\n')[0] : answer.message}`);
    }
  },
};
