/**
 * The activities against the Livy simulator (and its YARN ResourceManager endpoint) under the
 * faults of issue 9: a submit that must not POST once cancelled or out of time, an unreachable
 * Livy (unhealthy, not lost, until the deployment's bound or EMR's word), capacity as back-pressure,
 * a bad answer on the list, batches Livy forgot, and the fence that kills an attempt by name,
 * on YARN, or not at all when its cluster is gone.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, ErrorType, NON_RETRYABLE_ACTIVITY_ERRORS, parseJobSpec, type JobSpec, type ShaleActivities, type SubmitInput } from '../../contract';
import { CircuitBreakers } from '../../activities/clusters/breaker';
import type { Cluster, ClusterDirectory } from '../../activities/clusters/cluster';
import { HealthProbe } from '../../activities/clusters/health';
import { SubmissionRateLimiter } from '../../activities/clusters/rateLimiter';
import { createActivities, type ActivityDeps } from '../../activities/createActivities';
import { BatchWatcher } from '../../activities/livy/batchWatcher';
import { LivyClients, type LivyClient } from '../../activities/livy/client';
import { ResourceManagers } from '../../activities/yarn/resourceManager';
import { startLivySimulator, type LivySimulator, type LivySimulatorOptions } from '../../dev/livy-sim/index';
import { activityEnvironment, finishBatch, rejection, runActivity } from '../support/activityTesting';

/** A worker's cluster directory whose EMR answers the test sets: a state per cluster, and clusters discovery stopped listing. */
class Directory implements ClusterDirectory {
  readonly emrStates = new Map<string, string>();
  private readonly delisted = new Set<string>();

  constructor(private readonly clusters: Cluster[]) {}

  async list(): Promise<Cluster[]> {
    return this.clusters.filter((c) => !this.delisted.has(c.id));
  }

  async stateOf(clusterId: string): Promise<string | undefined> {
    return this.emrStates.get(clusterId);
  }

  /** EMR terminated the cluster: discovery (active clusters only) no longer lists it. */
  terminate(clusterId: string): void {
    this.emrStates.set(clusterId, 'TERMINATED');
    this.delisted.add(clusterId);
  }
}

interface Fixture {
  /** Livy (and YARN's ResourceManager, same port) of cluster c1. */
  sim: LivySimulator;
  livy: LivyClients;
  client: LivyClient;
  rms: ResourceManagers;
  directory: Directory;
  breakers: CircuitBreakers;
  /** The activities over this fixture's Livy, YARN and directory, with deps overridden per test. */
  activities(extra?: Partial<ActivityDeps>): ShaleActivities;
  /**
   * Restarts the simulated Livy, then gives the worker fresh connection pools: the kept-alive
   * sockets die in the restart and their next request fails (UND_ERR_SOCKET), which Temporal's
   * retry of the activity absorbs in production; here each activity gets one clean try instead.
   * Activities built before the restart keep the old pools: build them again.
   */
  restart(opts: { keepState: boolean; crash?: boolean }): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 1_000;
const open: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/** A worker's connection pools and batch watcher (fresh per test: an endpoint's failure streak must not leak into the next). */
function connections() {
  const livy = new LivyClients({ requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: 500 });
  const rms = new ResourceManagers({ requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: 500, killPollMs: 10, killWaitMs: 2_000 });
  const watcher = new BatchWatcher(livy, { pollIntervalMs: 20, maxBackoffMs: 100 });
  return {
    livy,
    rms,
    watcher,
    async close() {
      watcher.stop();
      await Promise.all([livy.close(), rms.close()]);
    },
  };
}

async function fixture(simOptions: LivySimulatorOptions = {}): Promise<Fixture> {
  const sim = await startLivySimulator({ name: 'c1', startingMs: 20, defaultDurationMs: 600_000, ...simOptions });
  let conn = connections();
  const directory = new Directory([{ id: 'c1', livyUrl: sim.url, resourceManagerUrl: sim.url, tags: {} }]);
  const breakers = new CircuitBreakers({ failureThreshold: 1, coolDownMs: 600_000 });
  open.push(async () => {
    await conn.close();
    await sim.close();
  });
  const f: Fixture = {
    sim,
    livy: conn.livy,
    client: conn.livy.for(sim.url),
    rms: conn.rms,
    directory,
    breakers,
    activities: (extra = {}) =>
      createActivities({
        clusters: directory,
        livy: conn.livy,
        watcher: conn.watcher,
        health: new HealthProbe(conn.livy, 0),
        batchSettings: { sizes: DEFAULT_SIZE_SETTINGS, sqlRunnerUri: 's3://platform/sql_runner.py' },
        yarn: conn.rms,
        breakers,
        heartbeatIntervalMs: 50,
        logTailLines: 5,
        clusterCheckIntervalMs: 20,
        livyRequestTimeoutMs: REQUEST_TIMEOUT_MS,
        ...extra,
      }),
    async restart(opts) {
      await sim.restart(opts);
      await conn.close();
      conn = connections();
      Object.assign(f, { livy: conn.livy, client: conn.livy.for(sim.url), rms: conn.rms });
    },
  };
  return f;
}

let counter = 0;
const attemptName = () => `team-fence${++counter}-a1`;

function spec(conf: Record<string, string> = {}): JobSpec {
  const result = parseJobSpec({ name: 'job', team: 'team', kind: 'pyspark', file: 's3://b/main.py', conf });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

const submitInput = (batchName: string, conf: Record<string, string> = {}, cluster = 'c1'): SubmitInput => ({
  jobId: batchName.replace(/-a\d+$/, ''),
  cluster,
  batchName,
  spec: spec(conf),
});

/** Each request the simulator logged for the name, as "METHOD path status". */
const trail = (sim: LivySimulator, name: string) => sim.requests({ name }).map((r) => `${r.method} ${r.path} ${r.status}`);

/** Polls of the batch list (the watcher's requests) answered with `status` (0: dropped). */
const listPolls = (sim: LivySimulator, status: number) => sim.requests({ method: 'GET' }).filter((r) => r.path === '/batches' && r.status === status).length;

async function untilRunning(f: Fixture, name: string): Promise<string> {
  await vi.waitFor(async () => expect((await f.client.getBatch(name)).state).toBe('running'), { timeout: 3_000, interval: 10 });
  return (await f.client.getBatch(name)).appId!;
}

async function submitRunning(f: Fixture, a: ShaleActivities, conf: Record<string, string> = {}): Promise<{ name: string; appId: string }> {
  const name = attemptName();
  await runActivity(a.submitBatch, submitInput(name, conf));
  return { name, appId: await untilRunning(f, name) };
}

/** Tracks whether a promise has settled, without leaving a rejection unhandled. */
function watch<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

/** A rate limiter that reports the submits it is holding back. */
class WatchedLimiter extends SubmissionRateLimiter {
  holding = 0;

  override async take(clusterId: string, signal?: AbortSignal): Promise<void> {
    this.holding++;
    try {
      await super.take(clusterId, signal);
    } finally {
      this.holding--;
    }
  }
}

/** A rate limiter that lets a submit go only when the test says, whatever the submit's signal says. */
class HeldLimiter extends SubmissionRateLimiter {
  release?: () => void;

  constructor() {
    super({ perSecond: 1, burst: 1 });
  }

  override take(): Promise<void> {
    return new Promise<void>((resolve) => (this.release = resolve));
  }
}

describe('submitBatch', () => {
  it('adopts the batch Livy holds under the attempt’s name, whatever its id: no POST', async () => {
    const f = await fixture();
    await f.client.createBatch({ name: 'another-team-job-a1', file: 's3://b/x.py' }); // id 0
    const name = attemptName();
    const ours = await f.client.createBatch({ name, file: 's3://b/x.py' }); // an earlier try whose answer was lost
    f.sim.clearRequests();
    const result = await runActivity(f.activities().submitBatch, submitInput(name));
    expect(result).toMatchObject({ batchId: ours.id, batchName: name, adopted: true });
    expect(ours.id).toBe(1);
    expect(f.sim.requests()).toEqual([expect.objectContaining({ method: 'GET', path: `/batches/${name}`, status: 200 })]);
  });

  it('POSTs once: the name is looked up, the batch POSTed, and a retried try adopts it', async () => {
    const f = await fixture();
    const a = f.activities();
    const name = attemptName();
    const first = await runActivity(a.submitBatch, submitInput(name));
    expect(first).toMatchObject({ batchName: name, adopted: false });
    const retried = await runActivity(a.submitBatch, submitInput(name));
    expect(retried).toMatchObject({ batchId: first.batchId, adopted: true });
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 404`, 'POST /batches 201', `GET /batches/${name} 200`]);
    expect(f.breakers.position('c1')).toBe('closed');
  });

  it('a try cancelled while the rate limiter holds it back makes no POST', async () => {
    const f = await fixture();
    const limiter = new WatchedLimiter({ perSecond: 0.001, burst: 1 });
    const a = f.activities({ rateLimiter: limiter });
    await runActivity(a.submitBatch, submitInput(attemptName())); // the only token
    const name = attemptName();
    const env = activityEnvironment();
    const submit = env.run(a.submitBatch, submitInput(name));
    await vi.waitFor(() => expect(limiter.holding).toBe(1), { timeout: 3_000, interval: 5 });
    env.cancel();
    // The limiter's wait (about 1000 s) is abandoned at once, as a cancellation.
    const err = await rejection(submit, Error);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(limiter.holding).toBe(0);
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 404`]);
  });

  it('a cancellation that arrives as the limiter lets the try go still stops the POST', async () => {
    const f = await fixture();
    const limiter = new HeldLimiter();
    const a = f.activities({ rateLimiter: limiter });
    const name = attemptName();
    const env = activityEnvironment();
    const submit = env.run(a.submitBatch, submitInput(name));
    await vi.waitFor(() => expect(limiter.release).toBeDefined(), { timeout: 3_000, interval: 5 });
    env.cancel();
    limiter.release!();
    await rejection(submit, CancelledFailure);
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 404`]);
    expect(await f.client.findBatch(name)).toBeUndefined();
  });

  it('too close to its deadline for the answer to come back: no POST, a retryable failure, no strike against the cluster', async () => {
    const f = await fixture();
    const a = f.activities({ livyRequestTimeoutMs: 15_000, failoverAfterUnreachableMs: 30_000 });
    const name = attemptName();
    // 10 s left of this try's minute; a POST may take 15 s to answer. The job was first scheduled long ago.
    const late = { scheduledTimestampMs: Date.now() - 120_000, currentAttemptScheduledTimestampMs: Date.now() - 50_000, startToCloseTimeoutMs: 60_000 };
    const err = await rejection(activityEnvironment(late).run(a.submitBatch, submitInput(name)), ApplicationFailure);
    expect(err.type).toBe(ErrorType.LivyUnreachable);
    expect(err.message).toMatch(/not enough time left/);
    // Livy answered the look-up: this is no outage, so neither a failover nor a strike.
    expect(err.nonRetryable).toBeFalsy();
    expect(f.breakers.position('c1')).toBe('closed');
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 404`]);

    // A batch that is already there needs no POST: a late try still adopts it.
    const made = await f.client.createBatch({ name, file: 's3://b/x.py' });
    expect(await activityEnvironment(late).run(a.submitBatch, submitInput(name))).toMatchObject({ batchId: made.id, adopted: true });
  });

  it('unreachable Livy: a retryable LivyUnreachable until failoverAfterUnreachableMs since the first schedule, then a non-retryable one; never a POST', async () => {
    const f = await fixture();
    f.sim.setFaults({ dropRate: 1 });
    const name = attemptName();
    const bounded = f.activities({ failoverAfterUnreachableMs: 60_000 });

    const early = await rejection(activityEnvironment({ scheduledTimestampMs: Date.now() - 50_000 }).run(bounded.submitBatch, submitInput(name)), ApplicationFailure);
    expect(early.type).toBe(ErrorType.LivyUnreachable);
    expect(early.nonRetryable).toBeFalsy();
    expect(NON_RETRYABLE_ACTIVITY_ERRORS).not.toContain(early.type);

    const givenUp = await rejection(activityEnvironment({ scheduledTimestampMs: Date.now() - 61_000 }).run(bounded.submitBatch, submitInput(name)), ApplicationFailure);
    expect(givenUp.type).toBe(ErrorType.LivyUnreachable);
    expect(givenUp.nonRetryable).toBe(true);
    expect(givenUp.message).toMatch(/has not answered for 6\ds, past livy.failoverAfterUnreachableSeconds/);

    // Without a bound, an unreachable Livy is waited for (the job's own timeouts bound it).
    const unbounded = await rejection(activityEnvironment({ scheduledTimestampMs: Date.now() - 3_600_000 }).run(f.activities().submitBatch, submitInput(name)), ApplicationFailure);
    expect(unbounded.nonRetryable).toBeFalsy();

    expect(f.sim.requests({ method: 'POST' })).toEqual([]);
    expect(trail(f.sim, name)).toEqual(Array(3).fill(`GET /batches/${name} 0`));
    // An endpoint that does not answer is a strike against its cluster.
    expect(f.breakers.position('c1')).toBe('open');
  });

  it('ClusterLost (non-retryable) when EMR says the cluster is terminated', async () => {
    const f = await fixture();
    const a = f.activities({ failoverAfterUnreachableMs: 600_000 });
    // Discovery still lists it, Livy does not answer, EMR says TERMINATING.
    f.sim.setFaults({ dropRate: 1 });
    f.directory.emrStates.set('c1', 'TERMINATING');
    const terminating = await rejection(runActivity(a.submitBatch, submitInput(attemptName())), ApplicationFailure);
    expect(terminating).toMatchObject({ type: ErrorType.ClusterLost, nonRetryable: true });
    expect(terminating.message).toMatch(/cluster c1 is terminated/);

    // Gone from discovery, TERMINATED: nothing is asked of its Livy at all.
    f.sim.clearRequests();
    f.directory.terminate('c1');
    const terminated = await rejection(runActivity(a.submitBatch, submitInput(attemptName())), ApplicationFailure);
    expect(terminated).toMatchObject({ type: ErrorType.ClusterLost, nonRetryable: true });
    expect(f.sim.requests()).toEqual([]);
  });

  it('capacity is LivyCapacity, handed to the workflow (never retried by Temporal) and no strike against the cluster; a 5xx is one', async () => {
    const f = await fixture({ maxInFlightSubmits: 1, startingMs: 600_000 });
    const a = f.activities();
    await runActivity(a.submitBatch, submitInput(attemptName()));
    const name = attemptName();
    const err = await rejection(runActivity(a.submitBatch, submitInput(name)), ApplicationFailure);
    expect(err.type).toBe(ErrorType.LivyCapacity);
    // The workflow's retry policy lists it as non-retryable: the workflow backs off on the same attempt.
    expect(NON_RETRYABLE_ACTIVITY_ERRORS).toContain(ErrorType.LivyCapacity);
    expect(f.breakers.position('c1')).toBe('closed');
    // Livy refuses for capacity before it registers anything.
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 404`, 'POST /batches 400']);
    expect(await f.client.findBatch(name)).toBeUndefined();

    f.sim.setFaults({ errorRate: 1 });
    const server = await rejection(runActivity(a.submitBatch, submitInput(attemptName())), ApplicationFailure);
    expect(server.type).toBe(ErrorType.LivyServerError);
    expect(f.breakers.position('c1')).toBe('open');
  });

  it('a 400 whose failed start Livy registered anyway leaves no batch behind: deleted by name', async () => {
    const f = await fixture({ confBlacklist: ['spark.sql.shuffle.partitions'] });
    const name = attemptName();
    const err = await rejection(runActivity(f.activities().submitBatch, submitInput(name, { 'spark.sql.shuffle.partitions': '8' })), ApplicationFailure);
    expect(err.type).toBe(ErrorType.LivyBadRequest);
    expect(NON_RETRYABLE_ACTIVITY_ERRORS).toContain(err.type);
    expect(err.message).toMatch(/Blacklisted configuration values.*registered .* anyway \(stuck in starting\); it was deleted/);
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 404`, 'POST /batches 400', `GET /batches/${name} 200`, `DELETE /batches/${name} 200`]);
    expect(await f.client.findBatch(name)).toBeUndefined();
    expect((await f.client.listBatches()).sessions).toEqual([]);
  });

  it('a cluster not in the worker’s directory: UnknownCluster (non-retryable) from every activity, and no request to any URL', async () => {
    const f = await fixture();
    const a = f.activities();
    const livyFor = vi.spyOn(f.livy, 'for');
    const rmFor = vi.spyOn(f.rms, 'for');
    const name = attemptName();
    const ref = { cluster: 'not-ours', batchName: name };
    for (const call of [
      () => runActivity(a.submitBatch, submitInput(name, {}, 'not-ours')),
      () => runActivity(a.waitForBatchChange, { ...ref, knownState: 'running', windowSeconds: 60 }),
      () => runActivity(a.reconcileBatch, ref),
      () => runActivity(a.killBatch, ref),
    ]) {
      const err = await rejection(call(), ApplicationFailure);
      expect(err).toMatchObject({ type: ErrorType.UnknownCluster, nonRetryable: true });
      expect(err.message).toMatch(/cluster not-ours is not in this worker's directory/);
    }
    expect(livyFor).not.toHaveBeenCalled();
    expect(rmFor).not.toHaveBeenCalled();
    expect(f.sim.requests()).toEqual([]);
  });
});

describe('waitForBatchChange', () => {
  it('a 403 on the list is the endpoint’s health, not the job’s failure: the wait goes on and returns the change', async () => {
    const f = await fixture();
    const a = f.activities({ failoverAfterUnreachableMs: 60_000 });
    const { name } = await submitRunning(f, a);
    f.sim.setFaults({ errorRate: 1, errorStatus: 403 });
    f.sim.clearRequests();
    const wait = watch(runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: name, knownState: 'running', windowSeconds: 60 }));
    await vi.waitFor(() => expect(listPolls(f.sim, 403)).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 10 });
    expect(wait.settled()).toBe(false);
    f.sim.setFaults({ errorRate: 0 });
    finishBatch(f.sim, name, 'success');
    expect(await wait.promise).toMatchObject({ batchName: name, state: 'success' });
  });

  it('Livy unreachable past failoverAfterUnreachableMs: a non-retryable LivyUnreachable', async () => {
    const f = await fixture();
    const a = f.activities({ failoverAfterUnreachableMs: 300 });
    const { name } = await submitRunning(f, a);
    f.sim.setFaults({ dropRate: 1 });
    const started = Date.now();
    const err = await rejection(runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: name, knownState: 'running', windowSeconds: 60 }), ApplicationFailure);
    expect(err).toMatchObject({ type: ErrorType.LivyUnreachable, nonRetryable: true });
    expect(err.message).toMatch(/past livy.failoverAfterUnreachableSeconds/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('an outage the watcher recorded before a wait began is not held against it: the wait on the recovered Livy goes on', async () => {
    // Found while recording the replay corpus: the watcher keeps an outage's record until it polls
    // again, and a new wait judged by that record gave up at once although Livy answered again.
    const f = await fixture();
    const plain = f.activities({});
    const { name } = await submitRunning(f, plain);
    const real = new BatchWatcher(f.livy, { pollIntervalMs: 200 });
    // The watcher still remembers a 10-second outage: its next poll (200 ms away) would clear it.
    const remembering = Object.assign(Object.create(real) as BatchWatcher, {
      endpointHealth: () => ({ unreachableSinceMs: Date.now() - 10_000, consecutiveFailures: 5 }),
    });
    const a = f.activities({ watcher: remembering, failoverAfterUnreachableMs: 1_000 });
    const wait = watch(runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: name, knownState: 'running', windowSeconds: 60 }));
    await vi.waitFor(() => expect(f.sim.requests({ method: 'GET' }).filter((r) => r.path === '/batches').length).toBeGreaterThan(0), { timeout: 5_000, interval: 10 });
    expect(wait.settled()).toBe(false);
    finishBatch(f.sim, name, 'success');
    expect(await wait.promise).toMatchObject({ batchName: name, state: 'success' });
    real.stop();
  });

  it('Livy unreachable under the bound: the wait goes on and returns the change once Livy answers again', async () => {
    const f = await fixture();
    const a = f.activities({ failoverAfterUnreachableMs: 60_000 });
    const { name } = await submitRunning(f, a);
    f.sim.setFaults({ dropRate: 1 });
    f.sim.clearRequests();
    const wait = watch(runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: name, knownState: 'running', windowSeconds: 60 }));
    await vi.waitFor(() => expect(listPolls(f.sim, 0)).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 10 });
    // The batch ends while nobody can ask.
    finishBatch(f.sim, name, 'success');
    expect(wait.settled()).toBe(false);
    f.sim.setFaults({ dropRate: 0 });
    expect(await wait.promise).toMatchObject({ batchName: name, state: 'success' });
  });

  it('a window that ends while Livy does not answer, or answers an error, returns the known state, not a failure', async () => {
    const f = await fixture();
    const outages = [{ dropRate: 1 }, { errorRate: 1, errorStatus: 403 }, { errorRate: 1, errorStatus: 503 }];
    for (const bound of [undefined, 60_000]) {
      for (const outage of outages) {
        const a = f.activities({ failoverAfterUnreachableMs: bound });
        const { name } = await submitRunning(f, a);
        f.sim.setFaults(outage);
        f.sim.clearRequests();
        const unchanged = await runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: name, batchId: 7, knownState: 'running', windowSeconds: 0.2 });
        expect(unchanged).toEqual({ batchId: 7, batchName: name, state: 'running' });
        // the window's own look-up by name was made, and failed
        expect(f.sim.requests({ name }).map((r) => r.status)).toEqual([outage.errorStatus ?? 0]);
        f.sim.setFaults({ dropRate: 0, errorRate: 0 });
      }
    }
  });

  it("a finished batch's log tail (the wait's and the kill's) holds the app's lines only, never Livy's section markers", async () => {
    const f = await fixture();
    const a = f.activities();
    const { name } = await submitRunning(f, a, { 'shale.sim.logLines': '3' });
    const wait = runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: name, knownState: 'running', windowSeconds: 60 });
    finishBatch(f.sim, name, 'dead');
    // Livy's last 5 entries: 3 app lines, the "\nstderr: " marker, the diagnostics line.
    const appLines = [`line 1 of ${name}`, `line 2 of ${name}`, `line 3 of ${name}`, 'YARN Diagnostics: User application exited with status 1'];
    expect(await wait).toMatchObject({ state: 'dead', log: appLines });
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name })).toEqual({ stateBefore: 'dead', deleted: false, log: appLines });
  });

  it("source 'yarn' waits on the ResourceManager, never on Livy, and returns the app's end", async () => {
    const f = await fixture();
    let a = f.activities();
    const { name, appId } = await submitRunning(f, a, { 'shale.sim.durationMs': '600', 'shale.sim.outcome': 'dead' });
    // Livy crashes and comes back empty; the app runs on in YARN and fails there.
    await f.restart({ keepState: false, crash: true });
    a = f.activities();
    f.sim.clearRequests();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const ended = await runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: name, source: 'yarn', knownState: 'running', windowSeconds: 30 });
      expect(ended).toEqual({ batchName: name, state: 'dead', appId, log: ['YARN Diagnostics: User application exited with status 1'], source: 'yarn' });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(f.sim.requests()).toEqual([]);
    // ~30 polls of the ResourceManager, one abort listener at a time (a listener left per poll leaks and warns)
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);

    // An app YARN does not know either is lost.
    const lost = await rejection(runActivity(a.waitForBatchChange, { cluster: 'c1', batchName: attemptName(), source: 'yarn', knownState: 'running', windowSeconds: 30 }), ApplicationFailure);
    expect(lost).toMatchObject({ type: ErrorType.BatchLost, nonRetryable: true });
  });
});

describe('reconcileBatch', () => {
  it('finds the batch by name after a Livy restart with state: source livy', async () => {
    const f = await fixture();
    let a = f.activities();
    const { name, appId } = await submitRunning(f, a);
    const before = await f.client.getBatch(name);
    await f.restart({ keepState: true });
    a = f.activities();
    f.sim.clearRequests();
    const found = await runActivity(a.reconcileBatch, { cluster: 'c1', batchName: name });
    expect(found).toMatchObject({ batchId: before.id, batchName: name, appId, source: 'livy' });
    expect(['recovering', 'running']).toContain(found!.state);
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 200`]);
  });

  it("finds on YARN, by the attempt's tag, a batch Livy forgot: source yarn, with the app's outcome mapped", async () => {
    const f = await fixture();
    const a = f.activities();
    const ended: Record<string, { name: string; appId: string }> = {};
    for (const outcome of ['success', 'dead', 'killed'] as const) {
      ended[outcome] = await submitRunning(f, a);
      finishBatch(f.sim, ended[outcome].name, outcome);
    }
    expect(f.sim.expireFinished()).toBe(3);
    for (const [outcome, { name, appId }] of Object.entries(ended)) {
      expect(await f.client.findBatch(name)).toBeUndefined();
      expect(await runActivity(a.reconcileBatch, { cluster: 'c1', batchName: name })).toMatchObject({ batchName: name, state: outcome, appId, source: 'yarn' });
    }
    const dead = await runActivity(a.reconcileBatch, { cluster: 'c1', batchName: ended.dead!.name });
    expect(dead!.log).toEqual(['YARN Diagnostics: User application exited with status 1']);
  });

  it('after a Livy crash, the app still running on YARN is found (running) and a foreign batch holding our old id is not taken for ours', async () => {
    const f = await fixture();
    let a = f.activities();
    const { name, appId } = await submitRunning(f, a);
    expect((await f.client.getBatch(name)).id).toBe(0);
    await f.restart({ keepState: false, crash: true });
    a = f.activities();
    const foreign = await postForeignBatch(f.sim);
    expect(foreign.id).toBe(0);
    const found = await runActivity(a.reconcileBatch, { cluster: 'c1', batchName: name });
    expect(found).toEqual({ batchName: name, state: 'running', appId, source: 'yarn' });
  });

  it('undefined when neither Livy nor YARN knows the attempt', async () => {
    const f = await fixture();
    const a = f.activities();
    await submitRunning(f, a); // another attempt, known to both
    const name = attemptName();
    expect(await runActivity(a.reconcileBatch, { cluster: 'c1', batchName: name })).toBeUndefined();
    expect(trail(f.sim, name)).toEqual([`GET /batches/${name} 404`]);
  });
});

/** Another client's batch, POSTed on a fresh connection (a restart resets pooled ones). */
async function postForeignBatch(sim: LivySimulator): Promise<{ id: number; name: string }> {
  const res = await fetch(`${sim.url}/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-by': 'someone-else', connection: 'close' },
    body: JSON.stringify({ name: 'other-team-job-a1', file: 's3://b/x.py', conf: { 'spark.yarn.tags': 'other-team-job-a1' } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: number; name: string };
}

describe('killBatch', () => {
  it('DELETEs a running batch by name, once, and confirms it is gone; its YARN app is killed', async () => {
    const f = await fixture();
    const a = f.activities();
    const { name } = await submitRunning(f, a);
    f.sim.clearRequests();
    const killed = await runActivity(a.killBatch, { cluster: 'c1', batchName: name, batchId: 0 });
    expect(killed).toMatchObject({ stateBefore: 'running', deleted: true });
    expect(trail(f.sim, name).filter((r) => !r.includes('/log'))).toEqual([`GET /batches/${name} 200`, `DELETE /batches/${name} 200`, `GET /batches/${name} 404`]);
    expect(await f.rms.for(f.sim.url).findAppByTag(name)).toMatchObject({ state: 'KILLED' });

    // Fenced already: a second kill finds nothing live and deletes nothing.
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name })).toMatchObject({ stateBefore: 'killed', deleted: false });
    expect(f.sim.requests({ method: 'DELETE' })).toHaveLength(1);
  });

  it('leaves a finished batch alone, whether Livy or only YARN still knows it', async () => {
    const f = await fixture();
    const a = f.activities();
    const { name } = await submitRunning(f, a);
    finishBatch(f.sim, name, 'success');
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name })).toMatchObject({ stateBefore: 'success', deleted: false });
    expect(f.sim.expireFinished()).toBe(1);
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name })).toMatchObject({ stateBefore: 'success', deleted: false });
    expect(f.sim.requests({ method: 'DELETE' })).toEqual([]);
    expect(await f.rms.for(f.sim.url).findAppByTag(name)).toMatchObject({ state: 'FINISHED', finalStatus: 'SUCCEEDED' });
  });

  it('kills on YARN a batch Livy forgot in a crash while its app runs on, and never touches the foreign batch now holding our old id', async () => {
    const f = await fixture();
    let a = f.activities();
    const { name, appId } = await submitRunning(f, a);
    await f.restart({ keepState: false, crash: true });
    a = f.activities();
    const foreign = await postForeignBatch(f.sim);
    expect(foreign.id).toBe(0);
    await untilRunning(f, foreign.name);
    f.sim.clearRequests();

    const killed = await runActivity(a.killBatch, { cluster: 'c1', batchName: name, batchId: 0 });
    expect(killed).toMatchObject({ stateBefore: 'running', deleted: true });
    const rm = f.rms.for(f.sim.url);
    expect(await rm.findAppByTag(name)).toMatchObject({ appId, state: 'KILLED' });
    // Livy was asked by name only, and nothing was deleted there; the foreign batch and its app run on.
    expect(f.sim.requests()).toEqual([expect.objectContaining({ method: 'GET', path: `/batches/${name}`, status: 404 })]);
    expect(await f.client.getBatch(0)).toMatchObject({ name: foreign.name, state: 'running' });
    expect(await rm.findAppByTag(foreign.name)).toMatchObject({ state: 'RUNNING' });
  });

  it('a graceful Livy restart killed the app already: nothing to kill, and the foreign batch is left alone', async () => {
    const f = await fixture();
    let a = f.activities();
    const { name } = await submitRunning(f, a);
    await f.restart({ keepState: false });
    a = f.activities();
    const foreign = await postForeignBatch(f.sim);
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name, batchId: foreign.id })).toMatchObject({ stateBefore: 'killed', deleted: false });
    expect(f.sim.requests({ method: 'DELETE' })).toEqual([]);
    expect(await f.client.getBatch(foreign.id)).toMatchObject({ name: foreign.name });
  });

  it('Livy unreachable on a cluster EMR says is terminated: cluster-terminated, nothing to kill', async () => {
    const f = await fixture();
    const a = f.activities();
    const { name } = await submitRunning(f, a);
    f.sim.setFaults({ dropRate: 1 });
    f.directory.emrStates.set('c1', 'TERMINATED_WITH_ERRORS');
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name })).toEqual({ stateBefore: 'cluster-terminated', deleted: false });

    // Once discovery drops it, Livy is not even asked.
    f.directory.terminate('c1');
    f.sim.clearRequests();
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name })).toEqual({ stateBefore: 'cluster-terminated', deleted: false });
    expect(f.sim.requests()).toEqual([]);
  });

  it('Livy unreachable otherwise: a retryable LivyUnreachable (the workflow hands the batch to the sweeper), and the kill works once Livy answers', async () => {
    const f = await fixture();
    const a = f.activities({ failoverAfterUnreachableMs: 1 });
    const { name } = await submitRunning(f, a);
    f.sim.setFaults({ dropRate: 1 });
    const err = await rejection(runActivity(a.killBatch, { cluster: 'c1', batchName: name }), ApplicationFailure);
    expect(err.type).toBe(ErrorType.LivyUnreachable);
    expect(err.nonRetryable).toBeFalsy();
    expect(NON_RETRYABLE_ACTIVITY_ERRORS).not.toContain(err.type);
    expect(f.sim.requests({ method: 'DELETE' })).toEqual([]);

    // The sweeper's next try, once Livy answers.
    f.sim.setFaults({ dropRate: 0 });
    expect(await runActivity(a.killBatch, { cluster: 'c1', batchName: name })).toMatchObject({ stateBefore: 'running', deleted: true });
    expect(f.sim.requests({ method: 'DELETE' })).toEqual([expect.objectContaining({ path: `/batches/${name}`, status: 200 })]);
  });
});
