/**
 * DESIGN.md rule 4, every row of the cancellation table × every path (signal `cancel`, Update
 * `requestCancel`, native workflow cancellation): the final state and the Livy calls each row
 * allows (checked by the generic invariants from each job's plan), plus the cancel recorded as sent.
 */
import type { CancelVia } from '../../../contract';
import { until } from '../../pacing';
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster, type JobPlan, type ScenarioContext } from '../harness/scenario';
import { chaosSpec, sendCancel, waitForJob } from './common';

const VIAS: readonly CancelVia[] = ['signal', 'update', 'workflow-cancel'];

const POST_ANSWER_DELAY_MS = 700;

interface Moment {
  name: string;
  plan: Omit<JobPlan, 'label'>;
  /** Cluster the job is routed to (by clusterId). */
  cluster: 'main' | 'down' | 'slow-post';
  spec: Record<string, unknown>;
  /** Resolves when the job is at the moment; the cancel follows at once. */
  reach(ctx: ScenarioContext, jobId: string): Promise<void>;
}

const long = { 'shale.sim.durationMs': '600000' };

function moments(slowPost: () => import('../../../dev/livy-sim').LivySimulator): Moment[] {
  return [
    {
      name: 'before submission',
      plan: { expect: ['CANCELLED'], noLivyCalls: true },
      cluster: 'down',
      spec: { conf: long },
      // Routing keeps failing (no healthy cluster): the job waits in QUEUED.
      reach: async (ctx, jobId) => void (await waitForJob(ctx, jobId, 'QUEUED', (s) => s.state === 'QUEUED', 30_000)),
    },
    {
      name: 'POST in flight',
      plan: { expect: ['CANCELLED'] },
      cluster: 'slow-post',
      spec: { conf: long },
      reach: (_ctx, jobId) => until(`${jobId} POST to arrive`, () => slowPost().requests({ method: 'POST', name: `${jobId}-a1` }).length > 0, 30_000, 5),
    },
    {
      name: 'STARTING',
      plan: { expect: ['CANCELLED'] },
      cluster: 'main',
      spec: { conf: { ...long, 'shale.sim.startingMs': '600000' } },
      reach: async (ctx, jobId) => void (await waitForJob(ctx, jobId, 'STARTING', (s) => s.state === 'STARTING', 30_000)),
    },
    {
      name: 'RUNNING',
      plan: { expect: ['CANCELLED'] },
      cluster: 'main',
      spec: { conf: long },
      reach: async (ctx, jobId) => void (await waitForJob(ctx, jobId, 'RUNNING', (s) => s.state === 'RUNNING', 30_000)),
    },
    {
      name: 'RETRYING',
      plan: { expect: ['CANCELLED'], noDeletes: true, maxAttempts: 1 },
      cluster: 'main',
      // Attempt 1 fails in the app; the backoff before attempt 2 is long.
      spec: { conf: { 'shale.sim.outcomes': 'dead,success', 'shale.sim.durationMs': '300' }, retry: { app: 1, initialBackoff: 600, maxBackoff: 600 } },
      reach: async (ctx, jobId) => void (await waitForJob(ctx, jobId, 'RETRYING', (s) => s.state === 'RETRYING', 30_000)),
    },
    {
      name: 'after the end',
      plan: { expect: ['SUCCEEDED'], noDeletes: true },
      cluster: 'main',
      spec: { conf: { 'shale.sim.durationMs': '300' } },
      reach: (ctx, jobId) => until(`${jobId} to end`, async () => (await ctx.handle(jobId).describe()).status.name !== 'RUNNING', 30_000, 100),
    },
    {
      name: 'a second time',
      plan: { expect: ['CANCELLED'] },
      cluster: 'main',
      spec: { conf: long },
      reach: async (ctx, jobId) => void (await waitForJob(ctx, jobId, 'RUNNING', (s) => s.state === 'RUNNING', 30_000)),
    },
  ];
}

async function cancelAt(ctx: ScenarioContext, moment: Moment, via: CancelVia, jobId: string): Promise<void> {
  const tag = `${moment.name} via ${via}`;
  await moment.reach(ctx, jobId);
  const first = { requestedBy: 'chaos-first', reason: `chaos: ${tag}` };
  if (moment.name === 'after the end') {
    // Temporal refuses a signal or a cancel to a closed workflow; ShaleClient.cancel tells the caller how it ended.
    await sendCancel(ctx, jobId, via, first).catch(() => undefined);
    const answer = await ctx.client.cancel(jobId, first);
    ctx.check('caller told the final state', !answer.accepted && answer.state === 'SUCCEEDED', `${jobId} (${tag}): ${JSON.stringify(answer)}`);
    return;
  }
  const answer = await sendCancel(ctx, jobId, via, first);
  if (via === 'update') ctx.check('Update accepted', answer?.accepted === true, `${jobId} (${tag}): ${JSON.stringify(answer)}`);
  if (moment.name === 'a second time') {
    const second = await sendCancel(ctx, jobId, via, { requestedBy: 'chaos-second', reason: 'chaos: second cancel' }).catch((err: Error) => err);
    if (second instanceof Error) ctx.check('second cancel answered', false, `${jobId} (${tag}): ${second.message}`);
    else if (via === 'update') ctx.check('second Update not accepted', second?.accepted === false, `${jobId}: ${JSON.stringify(second)}`);
  }
  // The request is on record with who sent it and how (native cancellation carries no who/why).
  const status = await waitForJob(ctx, jobId, 'cancel recorded', (s) => s.cancel !== undefined, 30_000).catch(() => undefined);
  const expectedBy = via === 'workflow-cancel' ? 'temporal' : 'chaos-first';
  ctx.check('cancel recorded as sent', status?.cancel?.via === via && status.cancel.requestedBy === expectedBy, `${jobId} (${tag}): ${JSON.stringify(status?.cancel)}`);
  if (moment.name === 'POST in flight') {
    // "DELETE after the POST returns": not before its answer could have reached the worker.
    await until(`${jobId} to end`, async () => (await ctx.handle(jobId).describe()).status.name !== 'RUNNING', 30_000, 100).catch(() => undefined);
    const sim = ctx.sims.find((s) => s.label === 'matrix-slow-post')!.sim;
    const post = sim.requests({ method: 'POST', name: `${jobId}-a1` })[0];
    const del = sim.requests({ method: 'DELETE', name: `${jobId}-a1` })[0];
    const ok = post !== undefined && del !== undefined && del.at >= post.at + POST_ANSWER_DELAY_MS - 50;
    ctx.check('DELETE after the POST returned', ok, `${jobId} (${tag}): POST at ${post?.at}, DELETE at ${del?.at ?? 'none'}`);
  }
}

export const cancelMatrix: ScenarioDefinition = {
  name: 'cancel-matrix',
  what: 'every row of the cancellation table × signal, Update and native cancel',
  drainTimeoutMs: () => 60_000,
  async run(ctx) {
    const main = await ctx.livy('matrix-main');
    const down = await ctx.livy('matrix-down');
    const slow = await ctx.livy('matrix-slow-post');
    down.setFaults({ dropRate: 1 });
    slow.setFaults({ postAnswerDelayMs: POST_ANSWER_DELAY_MS });
    await ctx.startWorker(
      chaosWorkerConfig(ctx.taskQueue, [
        simCluster('main', main),
        simCluster('down', down),
        simCluster('slow-post', slow),
      ]),
    );
    const all = moments(() => slow);
    const runs: Promise<void>[] = [];
    for (let r = 0; r < ctx.size.cancelMatrix.repeat; r++) {
      for (const moment of all) {
        for (const via of VIAS) {
          const label = `${moment.name} via ${via}`;
          const spec = chaosSpec(`matrix-${moment.name.replace(/\W+/g, '-')}-${via}`, {}, { ...moment.spec, route: { clusterId: moment.cluster } });
          spec.conf = { 'shale.sim.durationMs': '1000', ...(moment.spec.conf as Record<string, string>) };
          const jobId = await ctx.submit(spec, { label, ...moment.plan });
          runs.push(cancelAt(ctx, moment, via, jobId).catch((err: Error) => ctx.check('reached the moment and cancelled', false, `${jobId} (${label}): ${err.message.split('\n')[0]}`)));
        }
      }
    }
    await Promise.all(runs);
  },
};
