/**
 * Routing and cluster loss against a real EMR API (moto) and Livy simulators: the Spark-version
 * flag, criteria fallback, failover when EMR terminates a cluster, a Livy restart that reuses
 * batch ids, and every cluster gone.
 */
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import type { EMRClient } from '@aws-sdk/client-emr';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { createCluster, emrClient, terminateCluster } from '../support/emr';
import { simSpec, startStack, type E2EStack } from '../support/stack';
import { finishBatch } from '../support/activityTesting';

let stack: E2EStack;
let emr: EMRClient;
const sims: Record<string, LivySimulator> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  emr = emrClient();
  const run = `clusters-${process.pid}-${Date.now()}`;
  for (const name of ['etlA', 'etlB', 'legacy', 'solo']) sims[name] = await startLivySimulator({ name, startingMs: 100, defaultDurationMs: 500 });
  const tags = { 'shale:test-run': run };
  ids.etlA = await createCluster(emr, { name: 'etl-a', releaseLabel: 'emr-6.15.0', livyUrl: sims.etlA!.url, pool: 'etl', tags });
  ids.etlB = await createCluster(emr, { name: 'etl-b', releaseLabel: 'emr-7.2.0', livyUrl: sims.etlB!.url, pool: 'etl', tags });
  ids.legacy = await createCluster(emr, { name: 'legacy', releaseLabel: 'emr-5.36.0', livyUrl: sims.legacy!.url, pool: 'legacy', tags });
  ids.solo = await createCluster(emr, { name: 'solo', releaseLabel: 'emr-6.15.0', livyUrl: sims.solo!.url, pool: 'solo', tags });
  stack = await startStack('e2e-clusters', {
    clusters: [],
    emr: { enabled: true, endpoint: inject('motoEndpoint'), region: 'us-east-1', cacheTtlMs: 200, stateCheckIntervalMs: 200, requiredTags: tags, tagUrlAllowlist: ['http://127.0.0.1:*'] },
  });
});
afterAll(async () => {
  await stack?.teardown();
  await Promise.all(Object.values(sims).map((s) => s.close()));
  emr?.destroy();
});

describe('clusters from EMR (moto) and cluster loss', () => {
  it('routes by the Spark-version flag: 2 goes to EMR 5, 3 to EMR 6/7', async () => {
    const spark2 = await stack.client.submit(simSpec('v2', {}, { route: { sparkVersion: '2' } }));
    const spark3 = await stack.client.submit(simSpec('v3', {}, { route: { sparkVersion: '3', pool: 'etl' } }));
    const [s2, s3] = await Promise.all([stack.client.wait(spark2.jobId, { pollIntervalMs: 100 }), stack.client.wait(spark3.jobId, { pollIntervalMs: 100 })]);
    expect(s2).toMatchObject({ state: 'SUCCEEDED', attempts: [{ cluster: ids.legacy }] });
    expect(s3.state).toBe('SUCCEEDED');
    expect([ids.etlA, ids.etlB]).toContain(s3.attempts[0]!.cluster);
  });

  it('falls back through route.criteria in order, and records why', async () => {
    const { jobId } = await stack.client.submit(
      simSpec('criteria', {}, { route: { criteria: [{ 'shale:pool': 'gpu' }, { 'shale:pool': 'solo' }] } }),
    );
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts[0]!.cluster).toBe(ids.solo);
    expect(status.attempts[0]!.routeReason).toMatch(/criteria\[1\] shale:pool=solo/);
  });

  it('refuses at once a route that nothing can ever match', async () => {
    const { jobId } = await stack.client.submit(simSpec('nomatch', {}, { route: { pool: 'does-not-exist' } }));
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('FAILED');
    expect(status.lastError).toMatchObject({ type: 'NoMatchingCluster', class: 'fatal' });
    expect(status.attempts).toHaveLength(0);
  });

  it('fails over when EMR terminates the cluster under a running job', async () => {
    const { jobId } = await stack.client.submit(simSpec('failover', { 'shale:sim.unused': 'x', 'shale.sim.durationMs': '600000' }, { route: { pool: 'etl' } }));
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    const first = (await stack.client.status(jobId)).attempts[0]!;
    const [lostName, otherName] = first.cluster === ids.etlA ? ['etlA', 'etlB'] : ['etlB', 'etlA'];
    // The cluster dies: its Livy stops answering and EMR reports it terminated.
    await sims[lostName]!.stop();
    const terminatedAt = Date.now();
    await terminateCluster(emr, ids[lostName]!);
    const other = sims[otherName]!;
    await vi.waitFor(() => expect(other.requests({ method: 'POST', name: `${jobId}-a2` })).toHaveLength(1), { timeout: 30_000, interval: 50 });
    const resubmittedAfterMs = other.requests({ method: 'POST', name: `${jobId}-a2` })[0]!.at - terminatedAt;
    console.log(`failover: cluster terminated → resubmission POST in ${resubmittedAfterMs} ms`);
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).attempts[1]?.batchState).toBe('running'), { timeout: 20_000, interval: 100 });
    finishBatch(other, (await stack.client.status(jobId)).attempts[1]!.batchId!);
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts.map((a) => [a.cluster, a.outcome])).toEqual([
      [ids[lostName], 'INFRA_FAILED'],
      [ids[otherName], 'SUCCEEDED'],
    ]);
    expect(status.attempts[0]!.reason).toMatch(/TERMINAT/);
    expect(status.lostClusters).toEqual([ids[lostName]]);
    const posts = status.attempts.map((a) => Object.values(sims).reduce((n, s) => n + s.requests({ method: 'POST', name: a.batchName }).length, 0));
    expect(posts).toEqual([1, 1]);
  });

  it('is not fooled when a Livy restart hands our batch id to another batch', async () => {
    const { jobId } = await stack.client.submit(simSpec('restart', { 'shale.sim.durationMs': '600000' }, { route: { pool: 'solo' } }));
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    const solo = sims.solo!;
    const ourId = (await stack.client.status(jobId)).attempts[0]!.batchId!;
    await solo.restart({ keepState: false });
    // Someone else's batches take the ids back from 0, ours among them.
    for (let i = 0; i <= ourId; i++) {
      const res = await fetch(`${solo.url}/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-by': 'other' },
        body: JSON.stringify({ file: 's3://other/app.py', name: `impostor-${i}`, conf: { 'shale.sim.durationMs': '600000' } }),
      });
      expect(res.status).toBe(201);
    }
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).attempts[1]?.batchState).toBe('running'), { timeout: 30_000, interval: 100 });
    const during = await stack.client.status(jobId);
    expect(during.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED' });
    expect(during.attempts[0]!.reason).toMatch(/reused the id|lost/);
    finishBatch(solo, during.attempts[1]!.batchId!);
    expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('SUCCEEDED');
    // The impostors were never touched.
    expect(solo.requests({ method: 'DELETE' }).filter((r) => r.batchName?.startsWith('impostor'))).toHaveLength(0);
  });

  it('fails with ClusterLost when every cluster the route allows is gone', async () => {
    const { jobId } = await stack.client.submit(simSpec('orphan', { 'shale.sim.durationMs': '600000' }, { route: { clusterId: ids.solo } }));
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    await sims.solo!.stop();
    await terminateCluster(emr, ids.solo!);
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('FAILED');
    expect(status.lastError).toMatchObject({ type: 'ClusterLost' });
    expect(status.lastError!.message).toContain(ids.solo);
    expect(status.attempts).toHaveLength(1);
  });
});
