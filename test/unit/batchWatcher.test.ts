import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot } from '../../contract';
import { BatchLostError, BatchWatcher, pollDelayMs, type WatcherLogger, type WatcherOptions } from '../../activities/livy/batchWatcher';
import { LivyClient, LivyClients } from '../../activities/livy/client';
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
    const w = new BatchWatcher(clients, { pollIntervalMs: POLL_MS, ...options });
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
    const wait = track(watcher().waitForChange(sim.url, batch.name!, 'running'));
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
    const snapshot = await watcher().waitForChange(sim.url, batch.name!, 'starting');
    expect(snapshot.state).toBe('running');
  });

  it('serves many waiters on one endpoint with one list request per poll', async () => {
    const batches = await Promise.all(Array.from({ length: 25 }, () => runningBatch(client)));
    const w = watcher();
    sim.clearRequests();
    const waits = batches.map((b) => track(w.waitForChange(sim.url, b.name!, 'running')));
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
    const wait = w.waitForChange(sim.url, last.name!, 'running');
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThanOrEqual(Math.ceil(total / 2)), { timeout: 3_000, interval: 5 });
    finishBatch(sim, last.id, 'success');
    expect((await wait).state).toBe('success');
    // the batch sat on a later page: it was found there, never looked up on its own
    expect(sim.requests({ method: 'GET' }).filter((r) => r.path !== '/batches')).toEqual([]);
  });

  it('reports a batch erased by DELETE as lost (BatchLostError), after confirming the 404', async () => {
    const batch = await runningBatch(client);
    const wait = track(watcher().waitForChange(sim.url, batch.name!, 'running'));
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThan(0), { timeout: 3_000, interval: 5 });
    sim.clearRequests();
    await client.deleteBatch(batch.id);
    await expect(wait.promise).rejects.toThrow(BatchLostError);
    await expect(wait.promise).rejects.toThrow(/404/);
    // confirmed by name, never by an id that may name another batch
    expect(sim.requests({ method: 'GET' }).filter((r) => r.path === `/batches/${batch.name}`)).toEqual([expect.objectContaining({ status: 404 })]);
  });

  it('rejects at once when the signal is already aborted, and stops waiting when it is aborted later', { timeout: 10_000 }, async () => {
    const batch = await runningBatch(client);
    const w = watcher();
    const aborted = AbortSignal.abort(new Error('cancelled before we started'));
    await expect(w.waitForChange(sim.url, batch.name!, 'running', aborted)).rejects.toThrow('cancelled before we started');

    const controller = new AbortController();
    const wait = track(w.waitForChange(sim.url, batch.name!, 'running', controller.signal));
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThan(0), { timeout: 3_000, interval: 5 });
    controller.abort('window');
    await expect(wait.promise).rejects.toThrow('wait aborted');
    // a change after the abort reaches nobody (the promise stays rejected)
    finishBatch(sim, batch.id, 'success');
    expect(wait.error).toBeInstanceOf(Error);
  });

  it('treats an outage as the endpoint\'s, not the batch\'s: the waiter still gets the change', async () => {
    const batch = await runningBatch(client);
    const wait = track(watcher({ maxBackoffMs: POLL_MS * 2 }).waitForChange(sim.url, batch.name!, 'running'));
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
    const w = watcher({ maxBackoffMs: POLL_MS * 2 });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // an outage is seen, then nobody waits any more
      const first = new AbortController();
      const firstWait = w.waitForChange(sim.url, batch.name!, 'running', first.signal).catch((e: unknown) => e);
      sim.clearRequests();
      sim.setFaults({ dropRate: 1 });
      await vi.waitFor(() => expect(w.endpointHealth(sim.url).consecutiveFailures).toBeGreaterThanOrEqual(2), { timeout: 3_000, interval: 5 });
      first.abort();
      expect(await firstWait).toBeInstanceOf(Error);
      sim.setFaults({ dropRate: 0 });

      // an hour later a new waiter starts from a clean slate
      vi.setSystemTime(Date.now() + 3_600_000);
      const second = track(w.waitForChange(sim.url, batch.name!, 'running'));
      expect(w.endpointHealth(sim.url)).toEqual({ consecutiveFailures: 0 });
      finishBatch(sim, batch.id, 'success');
      expect((await second.promise).state).toBe('success');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a 403 (or any 4xx) on the listing settles nobody: it is the endpoint\'s health, with a log line per streak', async () => {
    const batch = await runningBatch(client);
    const logged: Array<[string, string]> = [];
    const logger: WatcherLogger = {
      warn: (_fields, message) => logged.push(['warn', message]),
      info: (_fields, message) => logged.push(['info', message]),
    };
    const errors: number[] = [];
    const w = watcher({ maxBackoffMs: POLL_MS * 2, logger, onEndpointError: (_url, health) => errors.push(health.consecutiveFailures) });
    const wait = track(w.waitForChange(sim.url, batch.name!, 'running'));
    const before = Date.now();
    sim.clearRequests();
    sim.setFaults({ errorRate: 1, errorStatus: 403 });
    await vi.waitFor(() => expect(w.endpointHealth(sim.url).consecutiveFailures).toBeGreaterThanOrEqual(4), { timeout: 3_000, interval: 5 });
    expect(listings(sim).filter((r) => r.status === 403).length).toBeGreaterThanOrEqual(4);
    expect(wait.settled).toBe(false);
    const health = w.endpointHealth(sim.url);
    expect(health.consecutiveFailures).toBeGreaterThanOrEqual(4);
    expect(health.unreachableSinceMs).toBeGreaterThanOrEqual(before);
    expect(health.lastError).toMatch(/Livy answered 403/);
    expect(errors.slice(0, 4)).toEqual([1, 2, 3, 4]);
    sim.setFaults({ errorRate: 0, errorStatus: 500 });
    finishBatch(sim, batch.id, 'success');
    expect((await wait.promise).state).toBe('success');
    expect(w.endpointHealth(sim.url)).toEqual({ consecutiveFailures: 0 });
    // one line when the streak began, one when it ended
    expect(logged.map(([level]) => level)).toEqual(['warn', 'info']);
    expect(logged[0]![1]).toMatch(/is failing/);
    expect(logged[1]![1]).toMatch(/answers again/);
  });

  it('backs off while the endpoint fails: the pause doubles from the poll interval up to maxBackoffMs', () => {
    expect([0, 1, 2, 3, 4, 5, 40].map((n) => pollDelayMs(100, n, 1_000))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    // a cap below the interval never polls faster than the interval
    expect(pollDelayMs(500, 3, 100)).toBe(500);
  });

  it('knows nothing bad about an endpoint it never polled', () => {
    expect(watcher().endpointHealth('http://never.polled:8998')).toEqual({ consecutiveFailures: 0 });
  });
});

describe('BatchWatcher: a Livy that forgets or disappears', () => {
  let clients: LivyClients;
  const watchers: BatchWatcher[] = [];
  const sims: LivySimulator[] = [];

  function watcher(options: Partial<WatcherOptions> = {}): BatchWatcher {
    const w = new BatchWatcher(clients, { pollIntervalMs: POLL_MS, ...options });
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

    const wait = watcher().waitForChange(sim.url, ours.name!, 'running');
    await expect(wait).rejects.toThrow(BatchLostError);
    await expect(wait).rejects.toThrow(`batch ${ours.name} is lost: Livy no longer has it (404)`);
  });

  it('takes our name under a new id as ours (a batch is its name, not its id)', async () => {
    const sim = await simulator('renumbered');
    const client = clients.for(sim.url);
    const ours = await runningBatch(client, uniqueName('ours'));
    expect(ours.id).toBe(0);
    await sim.restart({ keepState: false, crash: true });
    await submitFresh(sim, uniqueName('theirs'), { 'shale.sim.startingMs': '600000' });
    // our name, posted again (say, by a retried submit), now lives under id 1
    const again = await submitFresh(sim, ours.name!, { 'shale.sim.startingMs': '600000' });
    expect(again.id).toBe(1);

    const snapshot = await watcher().waitForChange(sim.url, ours.name!, 'running');
    expect(snapshot).toMatchObject({ batchId: 1, batchName: ours.name, state: 'starting' });
  });

  it('reports a batch lost when Livy restarts without state while we wait', async () => {
    const sim = await simulator('restarted');
    const client = clients.for(sim.url);
    const ours = await runningBatch(client, uniqueName('ours'));
    const wait = track(watcher().waitForChange(sim.url, ours.name!, 'running'));
    await vi.waitFor(() => expect(listings(sim).length).toBeGreaterThan(1), { timeout: 3_000, interval: 5 });
    await sim.restart({ keepState: false });
    await submitFresh(sim, uniqueName('theirs'), { 'shale.sim.startingMs': '600000' });
    // whether a poll saw the empty server (404) or the newcomer (name mismatch), ours is lost
    await expect(wait.promise).rejects.toThrow(BatchLostError);
    expect(wait.value).toBeUndefined();
  });

  it('never gives up on an unreachable endpoint: the waiter waits, health reports the outage, the other endpoint is unaffected', async () => {
    const healthy = await simulator('healthy');
    const doomed = await simulator('doomed');
    const good = await runningBatch(clients.for(healthy.url));
    const bad = await runningBatch(clients.for(doomed.url));
    const w = watcher({ maxBackoffMs: POLL_MS * 2 });
    const goodWait = track(w.waitForChange(healthy.url, good.name!, 'running'));
    const badWait = track(w.waitForChange(doomed.url, bad.name!, 'running'));

    const cutAt = Date.now();
    doomed.setFaults({ dropRate: 1 });
    await vi.waitFor(() => expect(w.endpointHealth(doomed.url).consecutiveFailures).toBeGreaterThanOrEqual(5), { timeout: 5_000, interval: 5 });
    expect(badWait.settled).toBe(false);
    expect(w.endpointHealth(doomed.url)).toMatchObject({ unreachableSinceMs: expect.any(Number), lastError: expect.stringMatching(/did not answer/) });
    expect(w.endpointHealth(doomed.url).unreachableSinceMs).toBeGreaterThanOrEqual(cutAt);
    expect(w.endpointHealth(healthy.url)).toEqual({ consecutiveFailures: 0 });

    // the other endpoint is watched on its own
    finishBatch(healthy, good.id, 'success');
    expect((await goodWait.promise).state).toBe('success');

    // Livy comes back; the app ran on meanwhile and its end reaches the waiter
    finishBatch(doomed, bad.id, 'dead');
    doomed.setFaults({ dropRate: 0 });
    expect((await badWait.promise).state).toBe('dead');
  });
});

describe('BatchWatcher: answers that are not about the batch', () => {
  const ENDPOINT = 'http://livy.test:8998';
  let agent: MockAgent;
  const watchers: BatchWatcher[] = [];

  function watcherOver(mock: MockAgent): BatchWatcher {
    const client = new LivyClient(ENDPOINT, mock, {});
    const w = new BatchWatcher({ for: () => client } as unknown as LivyClients, { pollIntervalMs: POLL_MS, maxBackoffMs: POLL_MS });
    watchers.push(w);
    return w;
  }

  beforeAll(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(() => {
    for (const w of watchers.splice(0)) w.stop();
  });
  afterAll(() => agent.close());

  it('a listing that is not Livy\'s, or a failed look-up by name, keeps the waiter waiting; only a 404 for the name loses it', async () => {
    const pool = agent.get(ENDPOINT);
    const list = () => pool.intercept({ path: '/batches?from=0&size=1000', method: 'GET' });
    list().reply(200, { unexpected: true });
    list().reply(200, { from: 0, total: 0, sessions: [] }).persist();
    pool.intercept({ path: '/batches/J-a1', method: 'GET' }).reply(500, { msg: 'java.lang.NullPointerException' }).times(2);
    const w = watcherOver(agent);
    const wait = track(w.waitForChange(ENDPOINT, 'J-a1', 'running'));
    await vi.waitFor(() => expect(w.endpointHealth(ENDPOINT).consecutiveFailures).toBeGreaterThanOrEqual(3), { timeout: 3_000, interval: 5 });
    expect(wait.settled).toBe(false);
    pool.intercept({ path: '/batches/J-a1', method: 'GET' }).reply(404, { msg: "Session 'J-a1' not found." });
    await expect(wait.promise).rejects.toThrow(BatchLostError);
  });
});
