/**
 * Livy answers 30 % of batch API requests with a 500 and drops 10 % of connections, for the whole
 * run, on both clusters: every job must still end as its batch did (issue 9 item 2 saw ClusterLost).
 */
import { paced } from '../../pacing';
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { chaosSpec, pick, randomInt, waitForJob, isRunning } from './common';

const RUNNING_WITHIN_MS = 180_000;
const RUNNING_CHECK = `RUNNING seen within ${RUNNING_WITHIN_MS / 1000} s`;

export const flakyLivy: ScenarioDefinition = {
  name: 'flaky-livy',
  what: 'Livy with 30 % 5xx and 10 % dropped connections on every request',
  drainTimeoutMs: (size) => RUNNING_WITHIN_MS + size.flakyLivy.jobs * 1_000,
  async run(ctx) {
    const { jobs, errorRate, dropRate } = ctx.size.flakyLivy;
    const sims = [await ctx.livy('flaky-a'), await ctx.livy('flaky-b')];
    for (const sim of sims) sim.setFaults({ errorRate, dropRate });
    await ctx.startWorker(
      chaosWorkerConfig(
        ctx.taskQueue,
        sims.map((s, i) => simCluster(`flaky-${i}`, s)),
      ),
    );
    const kinds = ['success', 'app-retry', 'success', 'cancel'] as const;
    ctx.step(`${jobs} jobs under faults`);
    const cancels: Promise<void>[] = [];
    await paced(jobs, 5, async (i) => {
      const kind = pick(kinds, i);
      if (kind === 'success') {
        await ctx.submit(chaosSpec(`flaky-${i}`, { 'shale.sim.durationMs': String(randomInt(1000, 5000)) }), { label: kind, expect: ['SUCCEEDED'] });
      } else if (kind === 'app-retry') {
        await ctx.submit(chaosSpec(`flaky-${i}`, { 'shale.sim.outcomes': 'dead,success' }, { retry: { app: 1, initialBackoff: 1, maxBackoff: 2 } }), {
          label: kind,
          expect: ['SUCCEEDED'],
        });
      } else {
        const jobId = await ctx.submit(chaosSpec(`flaky-${i}`, { 'shale.sim.durationMs': '600000' }), { label: kind, expect: ['CANCELLED'] });
        cancels.push(
          (async () => {
            // Under faults the state may lag; the cancel goes out either way (STARTING is a row of the table too).
            // With 4 in 10 requests failing, a submission's retries (10 s apart at most) can take a minute:
            // the bound says the job is not stuck, not how fast a flaky Livy is.
            const reached = await waitForJob(ctx, jobId, 'RUNNING', isRunning, RUNNING_WITHIN_MS).then(
              () => true,
              (err: Error) => (ctx.check(RUNNING_CHECK, false, `${jobId}: ${err.message.replace(/^bench: /, '')}`), false),
            );
            if (reached) ctx.check(RUNNING_CHECK, true);
            const answer = await ctx.client.cancel(jobId, { reason: 'chaos: cancel under faults', requestedBy: 'chaos' });
            ctx.check('cancel accepted', answer.accepted, `${jobId}: ${answer.message}`);
          })().catch((err: Error) => ctx.check('cancel accepted', false, `${jobId}: ${err.message.split('\n')[0]}`)),
        );
      }
    });
    await Promise.all(cancels);
  },
};
