/**
 * Issue 9 item 1: never two live attempts. Jobs run on cluster A; then
 *  - unreachable-app-runs: A's Livy stops answering (every connection dropped) while its apps keep
 *    running, for longer than the grace period, and comes back;
 *  - emr-gone-livy-answers: EMR (moto) reports A TERMINATED while A's Livy still answers and its
 *    apps still run.
 * Cluster B is healthy all along. Attempt n+1 may start on B only once attempt n is fenced.
 */
import type { LivySimulator } from '../../../dev/livy-sim';
import { createCluster, motoEmrClient, terminateCluster } from '../../../dev/stack/emrClusters';
import { MOTO_ENV } from '../../../dev/stack/moto';
import type { ScenarioDefinition } from '../harness/runner';
import { CHAOS_LIVY, chaosWorkerConfig, simCluster, type ScenarioContext } from '../harness/scenario';
import { chaosSpec, queryStatus, waitAllRunning } from './common';
import { until } from '../../pacing';

/** Jobs land on `a`: `b` refuses connections until they run there, then is healthy. */
async function jobsOnA(ctx: ScenarioContext, a: LivySimulator, b: LivySimulator, count: number, durationMs: number, route: Record<string, unknown>): Promise<string[]> {
  b.setFaults({ dropRate: 1 });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      await ctx.submit(chaosSpec(`${ctx.name}-${i}`, { 'shale.sim.durationMs': String(durationMs) }, { route, retry: { infra: 3, initialBackoff: 1, maxBackoff: 2 } }), {
        label: 'running on the cluster that fails',
        expect: ['SUCCEEDED'],
      }),
    );
  }
  await waitAllRunning(ctx, ids, 30_000);
  b.setFaults({ dropRate: 0 });
  return ids;
}

/** A's batch API drops every connection for `outageMs` while its apps (and its ResourceManager) run on. */
async function outageOnA(ctx: ScenarioContext, failoverAfterUnreachableSeconds?: number): Promise<void> {
  const { jobsPerCase, outageMs } = ctx.size.unreachable;
  const a = await ctx.livy('unreach-a');
  const b = await ctx.livy('unreach-b');
  await ctx.startWorker(
    chaosWorkerConfig(ctx.taskQueue, [simCluster('unreach-a', a, 'unreach'), simCluster('unreach-b', b, 'unreach')], {
      livy: { ...CHAOS_LIVY, ...(failoverAfterUnreachableSeconds !== undefined ? { failoverAfterUnreachableSeconds } : {}) },
    }),
  );
  // The apps outlive the outage by a few seconds.
  await jobsOnA(ctx, a, b, jobsPerCase, outageMs + 8_000, { pool: 'unreach' });
  ctx.step(`unreach-a drops every connection for ${outageMs / 1000} s; its apps keep running`);
  a.setFaults({ dropRate: 1 });
  await new Promise((r) => setTimeout(r, outageMs));
  a.setFaults({ dropRate: 0 });
  ctx.step('unreach-a answers again');
}

export const unreachableAppRuns: ScenarioDefinition = {
  name: 'unreachable-app-runs',
  what: "a cluster's Livy stops answering while its apps keep running; no failover bound: jobs wait (items 1, 2)",
  drainTimeoutMs: (size) => 60_000 + 2 * size.unreachable.outageMs,
  run: (ctx) => outageOnA(ctx),
};

export const unreachableFailover: ScenarioDefinition = {
  name: 'unreachable-failover',
  what: "as above, with livy.failoverAfterUnreachableSeconds=3: attempt 1 must be fenced before attempt 2 runs (item 1)",
  drainTimeoutMs: (size) => 60_000 + 2 * size.unreachable.outageMs,
  run: (ctx) => outageOnA(ctx, 3),
};

export const emrGoneLivyAnswers: ScenarioDefinition = {
  name: 'emr-gone-livy-answers',
  what: 'EMR says the cluster is TERMINATED while its Livy still answers and its apps run (item 1)',
  drainTimeoutMs: () => 90_000,
  async run(ctx) {
    const { jobsPerCase } = ctx.size.unreachable;
    const moto = await ctx.stack.moto();
    Object.assign(process.env, MOTO_ENV);
    const emr = motoEmrClient(moto.endpoint);
    try {
      const a = await ctx.livy('emr-a');
      const b = await ctx.livy('emr-b');
      const tags = { 'shale:chaos-run': ctx.taskQueue };
      // The ResourceManager answers on the simulator's port too.
      const clusterA = await createCluster(emr, { name: 'chaos-a', releaseLabel: 'emr-6.15.0', livyUrl: a.url, pool: 'emr-chaos', tags: { ...tags, 'shale:rm-url': a.url } });
      await createCluster(emr, { name: 'chaos-b', releaseLabel: 'emr-6.15.0', livyUrl: b.url, pool: 'emr-chaos', tags: { ...tags, 'shale:rm-url': b.url } });
      await ctx.startWorker(
        chaosWorkerConfig(ctx.taskQueue, [], {
          emr: {
            enabled: true,
            endpoint: moto.endpoint,
            region: MOTO_ENV.AWS_REGION,
            cacheTtlMs: 500,
            stateCheckIntervalMs: 500,
            requiredTags: tags,
            // The simulators listen on loopback; tag URLs are taken only if allowed.
            tagUrlAllowlist: ['http://127.0.0.1:*'],
          },
        }),
      );
      const ids = await jobsOnA(ctx, a, b, jobsPerCase, 20_000, { pool: 'emr-chaos' });
      const onA = await Promise.all(ids.map(async (id) => (await queryStatus(ctx, id))?.attempts[0]?.cluster === clusterA));
      ctx.check('jobs started on the cluster EMR then terminates', onA.every(Boolean), `${onA.filter((x) => !x).length} job(s) elsewhere`);
      ctx.step(`EMR terminates ${clusterA}; its Livy keeps answering and its apps keep running`);
      await terminateCluster(emr, clusterA);
      // Wait until Shale has acted on it (a second attempt or a kill of the first), or its jobs ended.
      await until(
        'every job to react to the termination',
        async () => {
          const states = await Promise.all(ids.map((id) => queryStatus(ctx, id)));
          return states.every((s) => !s || s.attempts.length > 1 || s.attempts[0]?.outcome !== undefined) || 'still on attempt 1';
        },
        60_000,
        250,
      ).catch((err: Error) => ctx.step(err.message));
    } finally {
      emr.destroy();
    }
  },
};
