/**
 * Issue 9 item 3: the worker is down while a batch succeeds, and Livy then forgets it (its retain
 * time runs out: the simulator's expireFinished). When a worker comes back, the job must take the app's real outcome (from
 * YARN's ResourceManager, by the attempt's tag) and end SUCCEEDED with one attempt: a succeeded
 * app is never run again.
 */
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { chaosSpec, waitAllRunning } from './common';
import { until } from '../../pacing';

export const forgottenBatch: ScenarioDefinition = {
  name: 'forgotten-batch',
  what: 'worker down while the batch succeeds and Livy forgets it (item 3)',
  drainTimeoutMs: () => 90_000,
  async run(ctx) {
    const { jobs } = ctx.size.forgotten;
    const sim = await ctx.livy('forget');
    const worker = await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('forget', sim)]));
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      ids.push(await ctx.submit(chaosSpec(`forget-${i}`, { 'shale.sim.durationMs': '600000' }), { label: 'succeeded while no worker watched', expect: ['SUCCEEDED'], maxAttempts: 1 }));
    }
    await waitAllRunning(ctx, ids, 30_000);
    ctx.step('worker down; the batches succeed and Livy forgets them');
    await ctx.stopWorker(worker, 'SIGTERM');
    for (const id of ids) sim.finish(`${id}-a1`, 'success');
    // Livy's retain time (10 minutes by default) runs out now; YARN still knows how the apps ended.
    sim.expireFinished();
    await until(
      'Livy to forget the finished batches',
      () => {
        ctx.observer.sample();
        return ids.every((id) => ctx.observer.lifeOf(`${id}-a1`).every((l) => l.gone)) || 'still held';
      },
      30_000,
      100,
    );
    ctx.step('a worker comes back');
    await ctx.startWorker();
    // A job that runs its app again (attempt 2) would run it for ten minutes: let that run end now, so
    // the job ends and the table says "2 attempts" instead of waiting out the drain.
    await until(
      'each job to end or run a second attempt',
      async () => {
        let pending = 0;
        for (const id of ids) {
          const again = `${id}-a2`;
          if (sim.requests({ method: 'POST', name: again }).some((r) => r.status === 201)) {
            try {
              sim.finish(again, 'success');
            } catch {
              // not created yet, or already gone
            }
          } else if ((await ctx.handle(id).describe()).status.name === 'RUNNING') pending += 1;
        }
        return pending === 0 || `${pending} job(s) still on attempt 1`;
      },
      60_000,
      250,
    ).catch((err: Error) => ctx.step(err.message));
  },
};
