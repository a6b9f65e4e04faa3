/**
 * Livy crashes and restarts without state while jobs run (their apps run on in YARN, untracked), and
 * another Livy client immediately takes the ids back from 0 (its batches named foreign-*). Shale must
 * never kill or adopt a foreign batch that now carries one of its old ids, must find its apps in YARN
 * by tag, and must not start a second attempt while the first one's app still runs.
 */
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { chaosSpec, randomInt, waitAllRunning } from './common';

export const livyRestart: ScenarioDefinition = {
  name: 'livy-restart-foreign',
  what: 'Livy crashes and restarts without state while another client takes the old batch ids',
  drainTimeoutMs: () => 90_000,
  async run(ctx) {
    const { jobs, foreign } = ctx.size.livyRestart;
    // No foreign batch before the restart (a restart without state erases it); they come after.
    const sim = await ctx.livy('restart-livy', {}, { foreign: 0 });
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('solo', sim)]));
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      // Long enough to be running at the restart; attempt 2 runs the same time and then succeeds.
      ids.push(await ctx.submit(chaosSpec(`livy-restart-${i}`, { 'shale.sim.durationMs': String(randomInt(8000, 12_000)) }), { label: 'running at the crash', expect: ['SUCCEEDED'] }));
    }
    await waitAllRunning(ctx, ids, 30_000);
    ctx.step(`Livy crashes and restarts without state (the apps run on in YARN); ${foreign} foreign batches take ids 0..${foreign - 1}`);
    await sim.restart({ keepState: false, crash: true });
    for (let i = 0; i < foreign; i++) await ctx.foreignPost(sim, `foreign-${i}`);
  },
};
