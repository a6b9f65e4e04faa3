import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SIZE_SETTINGS,
  ErrorType,
  parseJobSpec,
  type BatchRef,
  type BatchSnapshot,
  type JobSpec,
  type RouteInput,
  type ShaleActivities,
  type SubmitInput,
} from '../../contract';
import { StaticClusters, type Cluster } from '../../activities/clusters/cluster';
import { HealthProbe } from '../../activities/clusters/health';
import { createActivities } from '../../activities/createActivities';
import { BatchWatcher } from '../../activities/livy/batchWatcher';
import { LivyClients } from '../../activities/livy/client';
import type { LivyBatch } from '../../activities/livy/types';
import { startLivySimulator, type LivySimulator, type LivySimulatorOptions } from '../../dev/livy-sim/index';
import { activityEnvironment, runActivity, rejection, finishBatch } from '../support/activityTesting';

let counter = 0;
const jobId = () => `team-job${++counter}`;

function spec(conf: Record<string, string> = {}, extra: Record<string, unknown> = {}): JobSpec {
  const result = parseJobSpec({ name: 'job', team: 'team', kind: 'pyspark', file: 's3://b/main.py', conf, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

interface Stack {
  sims: Record<string, LivySimulator>;
  livy: LivyClients;
  watcher: BatchWatcher;
  activities: ShaleActivities;
}

async function stack(
  clusters: Array<Omit<Cluster, 'livyUrl' | 'tags'> & { tags?: Record<string, string> }>,
  opts: { requestTimeoutMs?: number; sim?: LivySimulatorOptions } = {},
): Promise<Stack> {
  const sims: Record<string, LivySimulator> = {};
  for (const c of clusters) sims[c.id] = await startLivySimulator({ name: c.id, startingMs: 20, defaultDurationMs: 600_000, ...opts.sim });
  const livy = new LivyClients({ requestTimeoutMs: opts.requestTimeoutMs ?? 2_000, connectTimeoutMs: 500 });
  const watcher = new BatchWatcher(livy, { pollIntervalMs: 20 });
  const activities = createActivities({
    clusters: new StaticClusters(clusters.map((c) => ({ tags: {}, ...c, livyUrl: sims[c.id]!.url }))),
    livy,
    watcher,
    health: new HealthProbe(livy, 0),
    batchSettings: { sizes: DEFAULT_SIZE_SETTINGS, sqlRunnerUri: 's3://platform/sql_runner.py' },
    heartbeatIntervalMs: 50,
    logTailLines: 5,
  });
  return { sims, livy, watcher, activities };
}

async function teardown(s: Stack): Promise<void> {
  s.watcher.stop();
  await s.livy.close();
  await Promise.all(Object.values(s.sims).map((sim) => sim.close()));
}

describe('submitBatch and killBatch', () => {
  let s: Stack;
  let sim: LivySimulator;
  let a: ShaleActivities;

  const submitInput = (batchName: string, conf: Record<string, string> = {}): SubmitInput => ({
    jobId: batchName.replace(/-a\d+$/, ''),
    cluster: 'c1',
    batchName,
    spec: spec(conf),
  });
  const ref = (batch: { batchId?: number; batchName: string }): BatchRef => ({ cluster: 'c1', batchId: batch.batchId, batchName: batch.batchName });
  const state = async (name: string) => ((await s.livy.for(sim.url).getBatch(name)) as LivyBatch).state;

  beforeAll(async () => {
    s = await stack([{ id: 'c1' }]);
    sim = s.sims.c1!;
    a = s.activities;
  });
  afterEach(() => sim.setFaults({ latencyMs: 0, errorRate: 0, dropRate: 0, postAnswerDelayMs: 0 }));
  afterAll(() => teardown(s));

  it('POSTs a new batch named after the attempt', async () => {
    const name = `${jobId()}-a1`;
    const result = await runActivity(a.submitBatch, submitInput(name));
    expect(result).toMatchObject({ batchName: name, state: 'starting', adopted: false });
    const posts = sim.requests({ method: 'POST', name });
    expect(posts).toEqual([expect.objectContaining({ status: 201, batchId: result.batchId })]);
    // it looked the name up first
    expect(sim.requests({ name })[0]).toMatchObject({ method: 'GET', path: `/batches/${name}`, status: 404 });
  });

  it('adopts a batch that already has the attempt’s name: no second POST', async () => {
    const name = `${jobId()}-a1`;
    const first = await runActivity(a.submitBatch, submitInput(name));
    const again = await runActivity(a.submitBatch, submitInput(name));
    expect(again).toMatchObject({ batchId: first.batchId, batchName: name, adopted: true });
    expect(sim.requests({ method: 'POST', name })).toHaveLength(1);
  });

  it('never creates a second batch when a POST’s answer is lost and the submit is retried', async () => {
    const impatient = await stack([{ id: 'c1' }], { requestTimeoutMs: 200 });
    try {
      const isim = impatient.sims.c1!;
      const name = `${jobId()}-a1`;
      const input = submitInput(name);
      isim.setFaults({ postAnswerDelayMs: 5_000 });
      const lost = await rejection(runActivity(impatient.activities.submitBatch, input), ApplicationFailure);
      expect(lost.type).toBe(ErrorType.LivyUnreachable);
      expect(lost.nonRetryable).toBeFalsy();
      // Temporal retries the activity; the answer is still on its way, the batch already exists
      const retried = await runActivity(impatient.activities.submitBatch, input);
      expect(retried).toMatchObject({ batchName: name, adopted: true });
      expect(isim.requests({ method: 'POST', name })).toEqual([expect.objectContaining({ status: 201, batchId: retried.batchId })]);
      expect((await impatient.livy.for(isim.url).listBatches()).sessions.filter((b) => b.name === name)).toHaveLength(1);
    } finally {
      await teardown(impatient);
    }
  });

  it('resolves a duplicate-name race by looking the name up again', async () => {
    const name = `${jobId()}-a1`;
    // both tries look the name up (404) before either POST is handled
    sim.setFaults({ latencyMs: 150 });
    const [x, y] = await Promise.all([runActivity(a.submitBatch, submitInput(name)), runActivity(a.submitBatch, submitInput(name))]);
    expect(x.batchId).toBe(y.batchId);
    expect([x.adopted, y.adopted].sort()).toEqual([false, true]);
    const posts = sim.requests({ method: 'POST', name });
    expect(posts.map((p) => p.status).sort()).toEqual([201, 400]);
    expect(sim.requests({ method: 'GET', name }).filter((g) => g.status === 200)).toHaveLength(1);
  });

  it('maps Livy’s errors to ApplicationFailure types', async () => {
    sim.setFaults({ errorRate: 1 });
    const server = await rejection(runActivity(a.submitBatch, submitInput(`${jobId()}-a1`)), ApplicationFailure);
    expect(server.type).toBe(ErrorType.LivyServerError);
    sim.setFaults({ errorRate: 0 });

    // Livy refuses the body (here: a conf value the simulator cannot read)
    const bad = await rejection(runActivity(a.submitBatch, submitInput(`${jobId()}-a1`, { 'shale.sim.outcome': 'sucess' })), ApplicationFailure);
    expect(bad.type).toBe(ErrorType.LivyBadRequest);
    expect(bad.message).toMatch(/400/);

    sim.setFaults({ dropRate: 1 });
    const dropped = await rejection(runActivity(a.submitBatch, submitInput(`${jobId()}-a1`)), ApplicationFailure);
    expect(dropped.type).toBe(ErrorType.LivyUnreachable);
  });

  it('maps capacity to LivyCapacity', async () => {
    const full = await stack([{ id: 'c1' }], { sim: { maxInFlightSubmits: 1, startingMs: 600_000 } });
    try {
      await runActivity(full.activities.submitBatch, submitInput(`${jobId()}-a1`));
      const err = await rejection(runActivity(full.activities.submitBatch, submitInput(`${jobId()}-a1`)), ApplicationFailure);
      expect(err.type).toBe(ErrorType.LivyCapacity);
    } finally {
      await teardown(full);
    }
  });

  it('killBatch deletes a running batch exactly once and confirms it is gone', async () => {
    const name = `${jobId()}-a1`;
    const submitted = await runActivity(a.submitBatch, submitInput(name, { 'shale.sim.logLines': '3' }));
    await vi.waitFor(async () => expect(await state(name)).toBe('running'), { timeout: 3_000, interval: 10 });
    sim.clearRequests();
    const result = await runActivity(a.killBatch, ref(submitted));
    expect(result).toMatchObject({ stateBefore: 'running', deleted: true });
    expect(Array.isArray(result.log)).toBe(true);
    // addressed by name, which keeps its meaning across a Livy restart
    expect(sim.requests({ method: 'DELETE' })).toEqual([expect.objectContaining({ path: `/batches/${name}`, status: 200, batchId: submitted.batchId, batchName: name })]);
    // the confirmation GET came after the DELETE and found nothing
    const afterDelete = sim.requests().slice(sim.requests().findIndex((r) => r.method === 'DELETE') + 1);
    expect(afterDelete).toEqual([expect.objectContaining({ method: 'GET', path: `/batches/${name}`, status: 404 })]);

    // a second kill finds nothing to kill
    expect(await runActivity(a.killBatch, ref(submitted))).toEqual({ stateBefore: 'gone', deleted: false });
    expect(sim.requests({ method: 'DELETE' })).toHaveLength(1);
  });

  it('killBatch leaves a finished batch alone, so its outcome stays readable', async () => {
    for (const outcome of ['success', 'dead', 'killed'] as const) {
      const name = `${jobId()}-a1`;
      const submitted = await runActivity(a.submitBatch, submitInput(name));
      finishBatch(sim, name, outcome);
      const result = await runActivity(a.killBatch, ref(submitted));
      expect(result).toMatchObject({ stateBefore: outcome, deleted: false });
      expect(result.log).toBeDefined();
      expect(sim.requests({ method: 'DELETE', name })).toEqual([]);
      expect(await state(name)).toBe(outcome);
    }
  });

  it('killBatch never deletes a batch whose id now has another name', async () => {
    const other = await stack([{ id: 'c9' }]);
    try {
      const osim = other.sims.c9!;
      const name = `${jobId()}-a1`;
      const ours = await runActivity(other.activities.submitBatch, { ...submitInput(name), cluster: 'c9' });
      expect(ours.batchId).toBe(0);
      await osim.restart({ keepState: false });
      // someone else's batch now has id 0
      const theirName = `${jobId()}-a1`;
      const res = await fetch(`${osim.url}/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-by': 't', connection: 'close' },
        body: JSON.stringify({ name: theirName, file: 's3://b/x.py' }),
      });
      expect(((await res.json()) as LivyBatch).id).toBe(0);

      // the pool's kept-alive sockets died in the restart: Temporal would retry the activity
      const kill = () => runActivity(other.activities.killBatch, { cluster: 'c9', batchId: 0, batchName: name });
      const result = await kill().catch(() => kill());
      expect(result).toEqual({ stateBefore: 'gone', deleted: false });
      expect(osim.requests({ method: 'DELETE' })).toEqual([]);
      expect((await other.livy.for(osim.url).getBatch(0)).name).toBe(theirName);
    } finally {
      await teardown(other);
    }
  });

  it('killBatch on a batch Livy no longer has is a no-op', async () => {
    const result = await runActivity(a.killBatch, ref({ batchId: 98_765, batchName: 'team-ghost-a1' }));
    expect(result).toEqual({ stateBefore: 'gone', deleted: false });
    expect(sim.requests({ method: 'DELETE' }).filter((r) => r.batchId === 98_765)).toEqual([]);
  });

  it('waitForBatchChange returns the change with a log tail, or the same state when the window ends', async () => {
    const name = `${jobId()}-a1`;
    const submitted = await runActivity(a.submitBatch, submitInput(name, { 'shale.sim.logLines': '12' }));
    await vi.waitFor(async () => expect(await state(name)).toBe('running'), { timeout: 3_000, interval: 10 });
    const wait = { ...ref(submitted), knownState: 'running' };

    const unchanged = await runActivity(a.waitForBatchChange, { ...wait, windowSeconds: 0.1 });
    expect(unchanged).toMatchObject({ batchId: submitted.batchId, batchName: name, state: 'running' });

    const env = activityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const changed: Promise<BatchSnapshot> = env.run(a.waitForBatchChange, { ...wait, windowSeconds: 60 });
    await vi.waitFor(() => expect(heartbeats.length).toBeGreaterThan(0), { timeout: 3_000, interval: 5 });
    finishBatch(sim, name, 'dead');
    const snapshot = await changed;
    expect(snapshot.state).toBe('dead');
    // terminal: the last logTailLines entries of the full log, ending with YARN's diagnostics, without Livy's "\nstderr: " marker
    expect(snapshot.log).toEqual([`line 10 of ${name}`, `line 11 of ${name}`, `line 12 of ${name}`, 'YARN Diagnostics: User application exited with status 1']);
    expect(heartbeats[0]).toEqual({ knownState: 'running' });
  });

  it('waitForBatchChange fails with a non-retryable BatchLost when the batch is erased', async () => {
    const submitted = await runActivity(a.submitBatch, submitInput(`${jobId()}-a1`));
    const wait = runActivity(a.waitForBatchChange, { ...ref(submitted), knownState: submitted.state, windowSeconds: 60 });
    await s.livy.for(sim.url).deleteBatch(submitted.batchName);
    const err = await rejection(wait, ApplicationFailure);
    expect(err.type).toBe(ErrorType.BatchLost);
    expect(err.nonRetryable).toBe(true);
  });
});

describe('routeJob', () => {
  let s: Stack;
  const route = (r: RouteInput['route'], exclude: string[] = []): RouteInput => ({ jobId: 'team-x', attempt: 1, route: r, exclude });

  beforeAll(async () => {
    s = await stack([
      { id: 'prod-a', sparkVersion: '3', pool: 'batch', tags: { env: 'prod' } },
      { id: 'prod-b', sparkVersion: '3', pool: 'batch', tags: { env: 'prod' } },
      { id: 'shared', sparkVersion: '3', pool: 'adhoc', tags: { env: 'shared' } },
      { id: 'legacy', sparkVersion: '2', pool: 'batch', tags: { env: 'prod', era: 'old' } },
      { id: 'dying', sparkVersion: '3', pool: 'doomed', tags: { env: 'dying' }, emrState: 'TERMINATING' },
    ]);
    // load: prod-a holds 3 batches, prod-b 1, shared 0, legacy 2
    const load: Record<string, number> = { 'prod-a': 3, 'prod-b': 1, legacy: 2 };
    for (const [id, n] of Object.entries(load)) {
      for (let i = 0; i < n; i++) await s.livy.for(s.sims[id]!.url).createBatch({ name: `${id}-load-${i}`, file: 's3://b/x.py' });
    }
  });
  afterAll(() => teardown(s));

  it('chooses the least loaded healthy match and says why', async () => {
    const choice = await runActivity(s.activities.routeJob, route({ pool: 'batch', sparkVersion: '3' }));
    expect(choice).toEqual({ cluster: 'prod-b', livyUrl: s.sims['prod-b']!.url, reason: 'pool=batch, sparkVersion=3: prod-b, least loaded of 2 healthy' });
  });

  it('filters by clusterId, pool and sparkVersion', async () => {
    expect((await runActivity(s.activities.routeJob, route({ clusterId: 'prod-a' }))).cluster).toBe('prod-a');
    expect((await runActivity(s.activities.routeJob, route({ sparkVersion: '2' }))).cluster).toBe('legacy');
    const only = await runActivity(s.activities.routeJob, route({ pool: 'adhoc' }));
    expect(only).toMatchObject({ cluster: 'shared', reason: 'pool=adhoc: shared, the only healthy match' });
    // no route at all: every healthy cluster is a candidate
    expect((await runActivity(s.activities.routeJob, route({}))).cluster).toBe('shared');
  });

  it('never picks an excluded (lost) cluster', async () => {
    expect((await runActivity(s.activities.routeJob, route({ pool: 'batch', sparkVersion: '3' }, ['prod-b']))).cluster).toBe('prod-a');
  });

  it('tries criteria in order: the first tag set with a healthy match wins', async () => {
    const prodFirst = await runActivity(s.activities.routeJob, route({ criteria: [{ env: 'prod' }, { env: 'shared' }] }));
    expect(prodFirst.cluster).toBe('prod-b');
    expect(prodFirst.reason).toMatch(/criteria\[0\] env=prod/);
    const sharedFirst = await runActivity(s.activities.routeJob, route({ criteria: [{ env: 'shared' }, { env: 'prod' }] }));
    expect(sharedFirst.cluster).toBe('shared');
    // a tag set nobody matches is skipped; several tags must all match
    const skipped = await runActivity(s.activities.routeJob, route({ criteria: [{ env: 'nowhere' }, { env: 'prod', era: 'old' }] }));
    expect(skipped).toMatchObject({ cluster: 'legacy', reason: expect.stringMatching(/criteria\[1\] env=prod,era=old/) });
    // a tag set whose only match is unhealthy falls through to the next
    const fallThrough = await runActivity(s.activities.routeJob, route({ criteria: [{ env: 'dying' }, { env: 'shared' }] }));
    expect(fallThrough.cluster).toBe('shared');
    // excluding every cluster of the first set moves on too
    const excluded = await runActivity(s.activities.routeJob, route({ criteria: [{ env: 'prod' }, { env: 'shared' }] }, ['prod-a', 'prod-b', 'legacy']));
    expect(excluded.cluster).toBe('shared');
  });

  it('NoMatchingCluster (non-retryable) when nothing can ever match', async () => {
    for (const input of [
      route({ pool: 'gpu' }),
      route({ clusterId: 'nope' }),
      route({ sparkVersion: '2', pool: 'adhoc' }),
      route({ criteria: [{ env: 'qa' }] }),
      route({ clusterId: 'shared' }, ['shared']),
    ]) {
      const err = await rejection(runActivity(s.activities.routeJob, input), ApplicationFailure);
      expect(err.type).toBe(ErrorType.NoMatchingCluster);
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toMatch(/known clusters: prod-a\(spark 3, pool batch\), prod-b/);
    }
    const excluded = await rejection(runActivity(s.activities.routeJob, route({ clusterId: 'shared' }, ['shared'])), ApplicationFailure);
    expect(excluded.message).toMatch(/excluding lost shared/);
  });

  it('NoHealthyCluster (retryable) when matches exist but none is healthy', async () => {
    const emr = await rejection(runActivity(s.activities.routeJob, route({ pool: 'doomed' })), ApplicationFailure);
    expect(emr.type).toBe(ErrorType.NoHealthyCluster);
    expect(emr.nonRetryable).toBeFalsy();
    expect(emr.message).toMatch(/dying: EMR state TERMINATING/);

    const sim = s.sims.shared!;
    await sim.stop();
    try {
      const down = await rejection(runActivity(s.activities.routeJob, route({ pool: 'adhoc' })), ApplicationFailure);
      expect(down.type).toBe(ErrorType.NoHealthyCluster);
      expect(down.nonRetryable).toBeFalsy();
      expect(down.message).toMatch(/shared: list batches: .* did not answer/);
      // an unreachable cluster is skipped when another one matches
      expect((await runActivity(s.activities.routeJob, route({ criteria: [{ env: 'shared' }, { env: 'prod' }] }))).cluster).toBe('prod-b');
    } finally {
      await sim.start();
    }
  });
});

describe('HealthProbe', () => {
  let sim: LivySimulator;
  let livy: LivyClients;
  const cluster = (extra: Partial<Cluster> = {}): Cluster => ({ id: 'c1', livyUrl: sim.url, tags: {}, ...extra });

  beforeAll(async () => {
    sim = await startLivySimulator({ name: 'health', startingMs: 600_000 });
    livy = new LivyClients({ connectTimeoutMs: 500 });
    await livy.for(sim.url).createBatch({ name: 'load-1', file: 's3://b/x.py' });
    await livy.for(sim.url).createBatch({ name: 'load-2', file: 's3://b/x.py' });
  });
  afterAll(async () => {
    await livy.close();
    await sim.close();
  });

  it('probes Livy once per cluster within the TTL, and reports the load', async () => {
    const probe = new HealthProbe(livy, 60_000);
    sim.clearRequests();
    // a burst of concurrent routings shares one probe; later checks are served from the cache
    const results = await Promise.all(Array.from({ length: 5 }, () => probe.check(cluster())));
    expect(sim.requests()).toHaveLength(1);
    for (let i = 0; i < 10; i++) await probe.check(cluster());
    expect(sim.requests()).toHaveLength(1);
    expect(new Set(results)).toEqual(new Set([results[0]]));
    expect(results[0]).toEqual({ healthy: true, load: 2, detail: 'Livy answers, 2 batches held' });
    expect(sim.requests().every((r) => r.method === 'GET' && r.path === '/batches')).toBe(true);
    probe.invalidate('c1');
    await probe.check(cluster());
    expect(sim.requests()).toHaveLength(2);
    // each cluster has its own entry
    await probe.check(cluster({ id: 'c2' }));
    expect(sim.requests()).toHaveLength(3);
  });

  it('trusts the EMR state first: only RUNNING and WAITING clusters are probed', async () => {
    const probe = new HealthProbe(livy, 0);
    sim.clearRequests();
    for (const emrState of ['STARTING', 'BOOTSTRAPPING', 'TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS']) {
      expect(await probe.check(cluster({ emrState }))).toEqual({ healthy: false, load: 0, detail: `EMR state ${emrState}` });
    }
    expect(sim.requests()).toEqual([]);
    for (const emrState of ['RUNNING', 'WAITING', undefined]) expect((await probe.check(cluster({ emrState }))).healthy).toBe(true);
    expect(sim.requests()).toHaveLength(3);
  });

  it('reports an unreachable or failing Livy as unhealthy', async () => {
    const probe = new HealthProbe(livy, 0);
    sim.setFaults({ errorRate: 1 });
    try {
      expect(await probe.check(cluster())).toMatchObject({ healthy: false, detail: expect.stringMatching(/500 simulated failure/) });
    } finally {
      sim.setFaults({ errorRate: 0 });
    }
    const closedPort = await startLivySimulator();
    const url = closedPort.url;
    await closedPort.close();
    expect(await probe.check(cluster({ id: 'gone', livyUrl: url }))).toMatchObject({ healthy: false, detail: expect.stringMatching(/did not answer/) });
  });
});
