/**
 * Issue 9 item 2: with one cluster, Livy drops every connection for ~25 s (quick: less; env
 * CHAOS_OUTAGE_SECONDS) right after the jobs were routed to it. An unreachable cluster is
 * unhealthy, not lost: the jobs must wait and succeed once it answers again.
 */
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { chaosSpec, queryStatus } from './common';
import { until } from '../../pacing';

export const shortOutage: ScenarioDefinition = {
  name: 'short-outage',
  what: 'the only Livy drops every connection for a short outage right after routing (item 2)',
  drainTimeoutMs: () => 90_000,
  async run(ctx) {
    const { jobs, outageMs } = ctx.size.shortOutage;
    const sim = await ctx.livy('outage');
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('outage', sim)]));
    // A first job routes (the health probe answers, and routing keeps that answer for a few seconds) and runs.
    const warm = await ctx.submit(chaosSpec('outage-warm', { 'shale.sim.durationMs': String(outageMs + 5_000) }), {
      label: 'running through the outage',
      expect: ['SUCCEEDED'],
    });
    await until('the first job to be POSTed', () => sim.requests({ method: 'POST', name: `${warm}-a1` }).length > 0, 30_000, 20);
    sim.setFaults({ dropRate: 1 });
    const outageStart = Date.now();
    ctx.step(`outage for ${outageMs / 1000} s; ${jobs} job(s) submitted into it`);
    // All at once, while routing still holds the healthy answer of a moment ago.
    const ids = await Promise.all(
      Array.from({ length: jobs }, (_, i) => ctx.submit(chaosSpec(`outage-${i}`, { 'shale.sim.durationMs': '1000' }), { label: 'routed, then the outage', expect: ['SUCCEEDED'] })),
    );
    await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - outageStart))));
    sim.setFaults({ dropRate: 0 });
    ctx.step('Livy answers again');
    // The scenario means "routed before the outage was noticed": each job must have an attempt on the cluster.
    for (const id of ids) {
      const status = await queryStatus(ctx, id);
      const first = status?.attempts[0];
      const routedDuringOutage = first?.submittedAt !== undefined && Date.parse(first.submittedAt) < outageStart + outageMs;
      ctx.check('precondition: routed before the outage ended', routedDuringOutage, `${id}: ${first ? `attempt 1 at ${first.submittedAt}` : `no attempt (${status?.state ?? 'no status'})`}`);
    }
  },
};
