/**
 * Issue 9 item 5: two cancels through ShaleClient, 0–300 ms apart, on each of a hundred running
 * jobs (quick: fewer). Both calls must answer without error (a second cancel is idempotent),
 * exactly one of them is the accepted one, and the job ends CANCELLED with its batch deleted.
 */
import { pool } from '../../pacing';
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { chaosSpec, randomInt, waitAllRunning } from './common';

export const doubleCancel: ScenarioDefinition = {
  name: 'double-cancel',
  what: 'two cancels 0–300 ms apart on each running job',
  drainTimeoutMs: () => 60_000,
  async run(ctx) {
    const { jobs, maxGapMs } = ctx.size.doubleCancel;
    const sim = await ctx.livy('double');
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('double', sim)]));
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      ids.push(await ctx.submit(chaosSpec(`double-${i}`, { 'shale.sim.durationMs': '600000' }), { label: 'cancelled twice', expect: ['CANCELLED'] }));
    }
    await waitAllRunning(ctx, ids, 60_000);
    ctx.step(`two cancels on each of ${jobs} jobs`);
    await pool(ids, 10, async (jobId) => {
      const gap = randomInt(0, maxGapMs);
      const send = (n: number) =>
        ctx.client.cancel(jobId, { reason: `chaos: cancel ${n}`, requestedBy: `chaos-${n}` }).then(
          (answer) => ({ ok: true as const, answer }),
          (err: Error) => ({ ok: false as const, error: err.message.split('\n')[0] }),
        );
      const first = send(1);
      await new Promise((r) => setTimeout(r, gap));
      const answers = await Promise.all([first, send(2)]);
      for (const a of answers) ctx.check('both cancels answered', a.ok, a.ok ? undefined : `${jobId} (gap ${gap} ms): ${a.error}`);
      const accepted = answers.filter((a) => a.ok && a.answer.accepted).length;
      if (answers.every((a) => a.ok)) ctx.check('exactly one cancel accepted', accepted === 1, `${jobId} (gap ${gap} ms): ${accepted} accepted`);
    });
  },
};
