/**
 * The Temporal server SIGKILLed mid-run and started again on the same SQLite file and port: the
 * worker reconnects by itself, running jobs end as their batches do, and cancels and new jobs
 * sent after the restart work.
 */
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { chaosSpec, isRunning, randomInt, waitAllRunning, waitForJob } from './common';

export const serverRestart: ScenarioDefinition = {
  name: 'server-restart',
  what: 'the Temporal dev server SIGKILLed mid-run and restarted on its SQLite file',
  drainTimeoutMs: () => 120_000,
  async run(ctx) {
    const { jobs, downMs } = ctx.size.serverRestart;
    const sim = await ctx.livy('restart-srv');
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('srv', sim)]));
    const before: string[] = [];
    const toCancel: string[] = [];
    for (let i = 0; i < jobs; i++) {
      if (i % 4 === 3) {
        toCancel.push(await ctx.submit(chaosSpec(`srv-cancel-${i}`, { 'shale.sim.durationMs': '600000' }), { label: 'cancelled after restart', expect: ['CANCELLED'] }));
      } else {
        // Still running when the server dies, finished while it is down, or after.
        const durationMs = randomInt(3000, 3000 + downMs * 3);
        before.push(await ctx.submit(chaosSpec(`srv-${i}`, { 'shale.sim.durationMs': String(durationMs) }), { label: 'running across the restart', expect: ['SUCCEEDED'] }));
      }
    }
    await waitAllRunning(ctx, toCancel, 30_000);
    ctx.step(`SIGKILL the dev server for ${downMs / 1000} s`);
    await ctx.stack.killServer();
    // The outage is the fault under test, not a wait for something to happen.
    await new Promise((r) => setTimeout(r, downMs));
    await ctx.stack.restartServer();
    ctx.step('dev server back; cancelling and submitting through it');
    for (const jobId of toCancel) {
      try {
        await waitForJob(ctx, jobId, 'RUNNING after the restart', isRunning, 60_000, 250);
        const answer = await ctx.client.cancel(jobId, { reason: 'chaos: after server restart', requestedBy: 'chaos' });
        ctx.check('cancel after restart accepted', answer.accepted, `${jobId}: ${answer.message}`);
      } catch (err) {
        ctx.check('cancel after restart accepted', false, `${jobId}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    for (let i = 0; i < Math.max(2, Math.floor(jobs / 4)); i++) {
      await ctx.submit(chaosSpec(`srv-after-${i}`, { 'shale.sim.durationMs': '1000' }), { label: 'submitted after the restart', expect: ['SUCCEEDED'] });
    }
  },
};
