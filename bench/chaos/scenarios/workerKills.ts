/**
 * A few hundred mixed jobs (quick: a couple of dozen) while a worker process is SIGKILLed every
 * ~10 s and a fresh one started in its place: every job still ends as its batch did, cancels
 * included, with one POST per attempt.
 */
import { paced } from '../../pacing';
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster, type ChaosWorker } from '../harness/scenario';
import { chaosSpec, isRunning, pick, randomInt, waitForJob } from './common';

export const workerKills: ScenarioDefinition = {
  name: 'worker-kills',
  what: 'worker processes SIGKILLed every ~10 s during mixed jobs (success, app retry, app failure, cancel)',
  // A killed worker's wait activities are retried only after their heartbeat timeout (1 min).
  drainTimeoutMs: (size) => 150_000 + size.workerKills.jobs * 500,
  async run(ctx) {
    const { jobs, killEveryMs, kills, workers } = ctx.size.workerKills;
    const sims = [await ctx.livy('kills-a'), await ctx.livy('kills-b')];
    const config = chaosWorkerConfig(
      ctx.taskQueue,
      sims.map((s, i) => simCluster(`kills-${i}`, s)),
    );
    const ready: ChaosWorker[] = [];
    for (let i = 0; i < workers; i++) ready.push(await ctx.startWorker(config));

    // Kills on a fixed clock (every killEveryMs, ±30 %), whatever a replacement takes to start.
    const killing = (async () => {
      const t0 = Date.now();
      const replacements: Promise<void>[] = [];
      for (let k = 0; k < kills; k++) {
        const due = t0 + (k + 1) * killEveryMs + (Math.random() - 0.5) * 0.6 * killEveryMs;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
        // Only a worker that is up can crash; if every one is down, the next replacement is waited for.
        while (ready.length === 0) await Promise.race(replacements);
        const victim = ready.shift()!;
        ctx.step(`SIGKILL ${victim.label} (${k + 1}/${kills})`);
        await ctx.stopWorker(victim, 'SIGKILL');
        replacements.push(ctx.startWorker().then((w) => void ready.push(w)));
      }
      await Promise.all(replacements);
    })();

    const kinds = ['success', 'app-retry', 'app-failure', 'long', 'cancel'] as const;
    const cancels: Promise<void>[] = [];
    // Submissions spread over the killing period.
    const rate = Math.max(1, jobs / ((kills * killEveryMs) / 1000));
    ctx.step(`${jobs} jobs at ${rate.toFixed(1)}/s, ${kills} kills`);
    await paced(jobs, rate, async (i) => {
      const kind = pick(kinds, i);
      const name = `kills-${i}`;
      switch (kind) {
        case 'success':
          await ctx.submit(chaosSpec(name, { 'shale.sim.durationMs': String(randomInt(1000, 8000)) }), { label: kind, expect: ['SUCCEEDED'] });
          break;
        case 'app-retry':
          await ctx.submit(chaosSpec(name, { 'shale.sim.outcomes': 'dead,success' }, { retry: { app: 1, initialBackoff: 1, maxBackoff: 2 } }), {
            label: kind,
            expect: ['SUCCEEDED'],
          });
          break;
        case 'app-failure':
          await ctx.submit(chaosSpec(name, { 'shale.sim.outcome': 'dead' }, { retry: { app: 0, initialBackoff: 1, maxBackoff: 2 } }), {
            label: kind,
            expect: ['FAILED'],
          });
          break;
        case 'long':
          await ctx.submit(chaosSpec(name, { 'shale.sim.durationMs': String(randomInt(15_000, 30_000)) }), { label: kind, expect: ['SUCCEEDED'] });
          break;
        case 'cancel': {
          const jobId = await ctx.submit(chaosSpec(name, { 'shale.sim.durationMs': '600000' }), { label: kind, expect: ['CANCELLED'] });
          cancels.push(
            (async () => {
              // Under kills the state may lag; the cancel goes out either way (STARTING is a row of the table too).
              await waitForJob(ctx, jobId, 'RUNNING', isRunning, 120_000, 250).then(
                () => ctx.check('RUNNING seen within 120 s', true),
                (err: Error) => ctx.check('RUNNING seen within 120 s', false, `${jobId}: ${err.message.replace(/^bench: /, '')}`),
              );
              await new Promise((r) => setTimeout(r, randomInt(0, 5000)));
              const answer = await ctx.client.cancel(jobId, { reason: 'chaos: cancel during worker kills', requestedBy: 'chaos' });
              ctx.check('cancel answered without error', true);
              ctx.check('cancel accepted', answer.accepted, `${jobId}: ${answer.message}`);
            })().catch((err: Error) => ctx.check('cancel answered without error', false, `${jobId}: ${err.message.split('\n')[0]}`)),
          );
          break;
        }
      }
    });
    await killing;
    await Promise.all(cancels);
  },
};
