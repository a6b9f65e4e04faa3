import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot } from '../../contract';
import { BatchLostError, BatchWatcher, type WatcherOptions } from '../../activities/livy/batchWatcher';
import { LivyClients, type LivyClient } from '../../activities/livy/client';
import { LivyError } from '../../activities/livy/errors';
import type { LivyBatch } from '../../activities/livy/types';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim/index';
import { finishBatch } from '../support/activityTesting';

const POLL_MS = 20;
let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}-a1`;

interface Tracked<T> {
  promise: Promise<T>;
  readonly settled: boolean;
  readonly value?: T;
  readonly error?: unknown;
}

/** Follows a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>): Tracked<T> {
  const t: { promise: Promise<T>; settled: boolean; value?: T; error?: unknown } = { promise, settled: false };
  promise.then(
    (value) => Object.assign(t, { settled: true, value }),
    (error: unknown) => Object.assign(t, { settled: true, error }),
  );
  return t;
}

async function runningBatch(client: LivyClient, name = uniqueName('job')): Promise<LivyBatch> {
  const created = await client.createBatch({ name, file: 's3://b/main.py', conf: { 'shale.sim.durationMs': '600000', 'shale.sim.startingMs': '10' } });
  await vi.waitFor(async () => expect((await client.getBatch(created.id)).state).toBe('running'), { timeout: 3_000, interval: 10 });
  return client.getBatch(created.id);
}

/**
 * POSTs on a connection of its own: after a restart the pool's kept-alive sockets are dead, and
 * the first request on one fails (that is the watcher's business, not this helper's).
 */
async function submitFresh(sim: LivySimulator, name: string, conf: Record<string, string>): Promise<LivyBatch> {
  const res = await fetch(`${sim.url}/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-by': 'test', connection: 'close' },
    body: JSON.stringify({ name, file: 's3://b/x.py', conf }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as LivyBatch;
}

/** GET /batches (the listing), as opposed to GET /batches/{id}. */
const listings = (sim: LivySimulator) => sim.requests({ method: 'GET' }).filter((r) => r.path === '/batches');
const failedListings = (sim: LivySimulator) => listings(sim).filter((r) => r.status === 0 || r.status >= 500);

describe('BatchWatcher', () => {
  let sim: LivySimulator;
  let clients: LivyClients;
  let client: LivyClient;
  const watchers: BatchWatcher[] = [];

  function watcher(options: Partial<WatcherOptions> = {}): BatchWatcher {
    const w = new BatchWatcher(clients, { pollIntervalMs: POLL_MS, unreachableGraceMs: 10_000, ...options });
    watchers.push(w);
    return w;
  }

  beforeAll(async () => {
    sim = await startLivySimulator({ name: 'watched', startingMs: 10 });
    clients = new LivyClients({ requestTimeoutMs: 2_000, connectTimeoutMs: 500 });
    client = clients.for(sim.url);
  });
  afterEach(() => {
    for (const w of watchers.splice(0)) w.stop();
    sim.setFaults({ latencyMs: 0, errorRate: 0, dropRate: 0, postAnswerDelayMs: 0 });
  });
  afterAll(async () => {
    await clients.close();
    await sim.close();
  });

  it('wakes a waiter when its batch changes state, with the new snapshot', async () => {
    const batch = await runningBatch(client);
    sim.clearRequests();
    const wait = track(watcher().waitForChange(sim.url, batch.id, batch.name!, 'running'));
    // several polls see the same state: the waiter keeps waiting
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThanOrEqual(3), { timeout: 3_000, interval: 5 });
    expect(wait.settled).toBe(false);

    finishBatch(sim, batch.id, 'dead');
    const snapshot = await wait.promise;
    expect(snapshot).toMatchObject<Partial<BatchSnapshot>>({ batchId: batch.id, batchName: batch.name!, state: 'dead', appId: batch.appId! });
    expect(snapshot.sparkUiUrl).toBe(batch.appInfo!.sparkUiUrl);
    expect(snapshot.driverLogUrl).toBeUndefined(); // Livy clears it once the app finished
    expect(snapshot.log!.at(-1)).toMatch(/YARN Diagnostics/);
  });

  it('answers on the next poll when the state already differs from what the caller knows', async () => {
    const batch = await runningBatch(client);
    const snapshot = await watcher().waitForChange(sim.url, batch.id, batch.name!, 'starting');
    expect(snapshot.state).toBe('running');
  });

  it('serves many waiters on one endpoint with one list request per poll', async () => {
    const batches = await Promise.all(Array.from({ length: 25 }, () => runningBatch(client)));
    const w = watcher();
    sim.clearRequests();
    const waits = batches.map((b) => track(w.waitForChange(sim.url, b.id, b.name!, 'running')));
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThanOrEqual(5), { timeout: 3_000, interval: 5 });
    // every request so far is a listing: no per-batch GETs, whatever the number of waiters
    const soFar = sim.requests();
    expect(soFar.length).toBeGreaterThanOrEqual(5);
    expect(soFar.every((r) => r.method === 'GET' && r.path === '/batches')).toBe(true);
    // and polls are spaced by the interval, not fired per waiter
    const span = soFar.at(-1)!.at - soFar[0]!.at;
    expect(span).toBeGreaterThanOrEqual((soFar.length - 1) * POLL_MS * 0.8);
    expect(waits.some((t) => t.settled)).toBe(false);

    await Promise.all(batches.map((b, i) => finishBatch(sim, b.id, i % 2 ? 'success' : 'killed')));
    const snapshots = await Promise.all(waits.map((t) => t.promise));
    expect(snapshots.map((s) => s.state)).toEqual(batches.map((_, i) => (i % 2 ? 'success' : 'killed')));
    expect(snapshots.map((s) => s.batchId)).toEqual(batches.map((b) => b.id));
  });

  it('pages through the listing with pageSize', async () => {
    const batches = await Promise.all(Array.from({ length: 5 }, () => runningBatch(client)));
    const total = (await client.listBatches(0, 0)).total;
    const w = watcher({ pageSize: 2 });
    const last = batches.at(-1)!;
    sim.clearRequests();
    const wait = w.waitForChange(sim.url, last.id, last.name!, 'running');
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThanOrEqual(Math.ceil(total / 2)), { timeout: 3_000, interval: 5 });
    finishBatch(sim, last.id, 'success');
    expect((await wait).state).toBe('success');
    // the batch sat on a later page: it was found there, never looked up on its own
    expect(sim.requests({ method: 'GET' }).filter((r) => r.path !== '/batches')).toEqual([]);
  });

  it('reports a batch erased by DELETE as lost (BatchLostError), after confirming the 404', async () => {
    const batch = await runningBatch(client);
    const wait = track(watcher().waitForChange(sim.url, batch.id, batch.name!, 'running'));
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThan(0), { timeout: 3_000, interval: 5 });
    sim.clearRequests();
    await client.deleteBatch(batch.id);
    await expect(wait.promise).rejects.toThrow(BatchLostError);
    await expect(wait.promise).rejects.toThrow(/404/);
    expect(sim.requests({ method: 'GET' }).filter((r) => r.path === `/batches/${batch.id}`)).toEqual([expect.objectContaining({ status: 404 })]);
  });

  it('rejects at once when the signal is already aborted, and stops waiting when it is aborted later', { timeout: 10_000 }, async () => {
    const batch = await runningBatch(client);
    const w = watcher();
    const aborted = AbortSignal.abort(new Error('cancelled before we started'));
    await expect(w.waitForChange(sim.url, batch.id, batch.name!, 'running', aborted)).rejects.toThrow('cancelled before we started');

    const controller = new AbortController();
    const wait = track(w.waitForChange(sim.url, batch.id, batch.name!, 'running', controller.signal));
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThan(0), { timeout: 3_000, interval: 5 });
    controller.abort('window');
    await expect(wait.promise).rejects.toThrow('wait aborted');
    // a change after the abort reaches nobody (the promise stays rejected)
    finishBatch(sim, batch.id, 'success');
    expect(wait.error).toBeInstanceOf(Error);
  });

  it('treats a short outage within the grace period as nothing: the waiter still gets the change', async () => {
    const batch = await runningBatch(client);
    const wait = track(watcher({ unreachableGraceMs: 30_000 }).waitForChange(sim.url, batch.id, batch.name!, 'running'));
    sim.clearRequests();
    sim.setFaults({ dropRate: 1 });
    await vi.waitFor(() => expect(failedListings(sim).length).toBeGreaterThanOrEqual(3), { timeout: 3_000, interval: 5 });
    sim.setFaults({ dropRate: 0, errorRate: 1 }); // 5xx count as an outage too
    const failedBefore = failedListings(sim).length;
    await vi.waitFor(() => expect(failedListings(sim).length).toBeGreaterThanOrEqual(failedBefore + 3), { timeout: 3_000, interval: 5 });
    expect(wait.settled).toBe(false);
    sim.setFaults({ errorRate: 0 });
    finishBatch(sim, batch.id, 'success');
    expect((await wait.promise).state).toBe('success');
  });

  it('does not hold an old, unobserved outage against a new waiter', async () => {
    const batch = await runningBatch(client);
    const w = watcher({ unreachableGraceMs: 5_000 });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // an outage is seen, then nobody waits any more
      const first = new AbortController();
      const firstWait = w.waitForChange(sim.url, batch.id, batch.name!, 'running', first.signal).catch((e: unknown) => e);
      sim.clearRequests();
      sim.setFaults({ dropRate: 1 });
      await vi.waitFor(() => expect(failedListings(sim).length).toBeGreaterThanOrEqual(2), { timeout: 3_000, interval: 5 });
      first.abort();
      expect(await firstWait).toBeInstanceOf(Error);
      sim.setFaults({ dropRate: 0 });

      // an hour later, with Livy fine all along, a new waiter meets one failed poll
      vi.setSystemTime(Date.now() + 3_600_000);
      sim.clearRequests();
      sim.setFaults({ dropRate: 1 });
      const second = track(w.waitForChange(sim.url, batch.id, batch.name!, 'running'));
      await vi.waitFor(() => expect(failedListings(sim).length).toBeGreaterThanOrEqual(2), { timeout: 3_000, interval: 5 });
      expect(second.settled).toBe(false);
      sim.setFaults({ dropRate: 0 });
      finishBatch(sim, batch.id, 'success');
      expect((await second.promise).state).toBe('success');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('BatchWatcher: a Livy that forgets or disappears', () => {
  let clients: LivyClients;
  const watchers: BatchWatcher[] = [];
  const sims: LivySimulator[] = [];

  function watcher(options: Partial<WatcherOptions> = {}): BatchWatcher {
    const w = new BatchWatcher(clients, { pollIntervalMs: POLL_MS, unreachableGraceMs: 10_000, ...options });
    watchers.push(w);
    return w;
  }
  async function simulator(name: string): Promise<LivySimulator> {
    const s = await startLivySimulator({ name, startingMs: 10 });
    sims.push(s);
    return s;
  }

  beforeAll(() => {
    clients = new LivyClients({ requestTimeoutMs: 2_000, connectTimeoutMs: 500 });
  });
  afterEach(async () => {
    for (const w of watchers.splice(0)) w.stop();
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  afterAll(() => clients.close());

  it('never takes the new batch that reuses our id after a restart without state for ours', async () => {
    const sim = await simulator('reused');
    const client = clients.for(sim.url);
    const ours = await runningBatch(client, uniqueName('ours'));
    expect(ours.id).toBe(0);
    await sim.restart({ keepState: false });
    // another job's batch now holds id 0, in a state that differs from the one we know
    const theirs = await submitFresh(sim, uniqueName('theirs'), { 'shale.sim.startingMs': '600000' });
    expect(theirs).toMatchObject({ id: 0, state: 'starting' });

    const wait = watcher().waitForChange(sim.url, ours.id, ours.name!, 'running');
    await expect(wait).rejects.toThrow(BatchLostError);
    await expect(wait).rejects.toThrow(`batch 0 is now named ${theirs.name}`);
  });

  it('reports a batch lost when Livy restarts without state while we wait', async () => {
    const sim = await simulator('restarted');
    const client = clients.for(sim.url);
    const ours = await runningBatch(client, uniqueName('ours'));
    const wait = track(watcher().waitForChange(sim.url, ours.id, ours.name!, 'running'));
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThan(1), { timeout: 3_000, interval: 5 });
    await sim.restart({ keepState: false });
    await submitFresh(sim, uniqueName('theirs'), { 'shale.sim.startingMs': '600000' });
    // whether a poll saw the empty server (404) or the newcomer (name mismatch), ours is lost
    await expect(wait.promise).rejects.toThrow(BatchLostError);
    expect(wait.value).toBeUndefined();
  });

  it('rejects with an unreachable LivyError once Livy stays unreachable beyond the grace period', async () => {
    const healthy = await simulator('healthy');
    const doomed = await simulator('doomed');
    const good = await runningBatch(clients.for(healthy.url));
    const bad = await runningBatch(clients.for(doomed.url));
    const graceMs = 300;
    const w = watcher({ unreachableGraceMs: graceMs });
    const goodWait = track(w.waitForChange(healthy.url, good.id, good.name!, 'running'));
    const badWait = track(w.waitForChange(doomed.url, bad.id, bad.name!, 'running'));

    await doomed.stop();
    const stoppedAt = Date.now();
    const err = await badWait.promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LivyError);
    expect(err).toMatchObject({ kind: 'unreachable' });
    expect((err as LivyError).message).toMatch(/unreachable for \d+s/);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(graceMs - POLL_MS);

    // the other endpoint is watched on its own and is unaffected
    expect(goodWait.settled).toBe(false);
    finishBatch(healthy, good.id, 'success');
    expect((await goodWait.promise).state).toBe('success');
  });
});
