/**
 * Issue 9 item 4: Livy answers 403 to every batch API request for a moment (a proxy's access check
 * failing, say) while jobs run. That is about the endpoint, not about any job's batch: the jobs keep
 * running and end as their batches do.
 */
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { chaosSpec, waitAllRunning } from './common';
import { until } from '../../pacing';

export const endpointErrors: ScenarioDefinition = {
  name: 'endpoint-403',
  what: 'Livy answers 403 to every request for a moment while jobs run (item 4)',
  drainTimeoutMs: () => 60_000,
  async run(ctx) {
    const sim = await ctx.livy('forbidden');
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('forbidden', sim)]));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await ctx.submit(chaosSpec(`forbidden-${i}`, { 'shale.sim.durationMs': '8000' }), { label: 'running through the 403s', expect: ['SUCCEEDED'] }));
    }
    await waitAllRunning(ctx, ids, 30_000);
    const before = sim.requests().length;
    sim.setFaults({ errorRate: 1, errorStatus: 403 });
    ctx.step('403 on every batch API request until the list has been refused three times');
    // Until the workers' watcher has been refused a few times (no POST can arrive: every job is running).
    await until('three refused list requests', () => sim.requests().slice(before).filter((r) => r.method === 'GET' && r.status === 403).length >= 3, 30_000, 50);
    sim.setFaults({ errorRate: 0, errorStatus: 500 });
    ctx.step('Livy answers normally again');
  },
};
