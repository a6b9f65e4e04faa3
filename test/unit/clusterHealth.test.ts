/**
 * The activities with storm protection wired in: per-cluster circuit breakers (submitBatch feeds
 * them, routeJob obeys them), the submission rate limiter, and per-team size caps. Runs against
 * Livy simulators; the breakers' clock is the test's.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, ErrorType, parseJobSpec, type JobSpec, type ClusterChoice, type RouteInput, type ShaleActivities, type SizePreset, type SubmitInput, type SubmitResult } from '../../contract';
import { CircuitBreakers } from '../../activities/clusters/breaker';
import { StaticClusters, type Cluster, type ClusterDirectory } from '../../activities/clusters/cluster';
import { HealthProbe } from '../../activities/clusters/health';
import { SubmissionRateLimiter } from '../../activities/clusters/rateLimiter';
import { createActivities } from '../../activities/createActivities';
import { BatchWatcher } from '../../activities/livy/batchWatcher';
import { LivyClients } from '../../activities/livy/client';
import type { TeamPolicy as TeamSizePolicy } from '../../activities/policy/teamPolicy';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim/index';
import { runActivity, rejection } from '../support/activityTesting';

const COOL_DOWN_MS = 60_000;
let counter = 0;
const batchName = () => `team-health${++counter}-a1`;

function spec(opts: { team?: string; size?: SizePreset; conf?: Record<string, string> } = {}): JobSpec {
  const result = parseJobSpec({ name: 'job', team: opts.team ?? 'team', kind: 'pyspark', file: 's3://b/main.py', size: opts.size ?? 'DEFAULT', conf: opts.conf ?? {} });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

interface Stack {
  sims: Record<string, LivySimulator>;
  livy: LivyClients;
  watcher: BatchWatcher;
  breakers: CircuitBreakers;
  clock: { now: () => number; advance(ms: number): void };
  /** EMR states the directory reports (stateOf). */
  emrStates: Record<string, string>;
  activities: ShaleActivities;
  submit(cluster: string, extra?: Partial<SubmitInput>): Promise<SubmitResult>;
  route(route: RouteInput['route']): Promise<ClusterChoice>;
}

const stacks: Stack[] = [];

async function stack(
  ids: string[],
  opts: { failureThreshold?: number; teams?: Record<string, TeamSizePolicy>; rateLimiter?: SubmissionRateLimiter; healthTtlMs?: number } = {},
): Promise<Stack> {
  const sims: Record<string, LivySimulator> = {};
  for (const id of ids) sims[id] = await startLivySimulator({ name: id, startingMs: 20, defaultDurationMs: 600_000 });
  const livy = new LivyClients({ requestTimeoutMs: 2_000, connectTimeoutMs: 500 });
  const watcher = new BatchWatcher(livy, { pollIntervalMs: 20 });
  let t = 1_700_000_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const breakers = new CircuitBreakers({ failureThreshold: opts.failureThreshold ?? 3, coolDownMs: COOL_DOWN_MS }, clock.now);
  const emrStates: Record<string, string> = {};
  const statics = new StaticClusters(ids.map((id): Cluster => ({ id, livyUrl: sims[id]!.url, pool: 'etl', tags: {} })));
  const clusters: ClusterDirectory = { list: () => statics.list(), stateOf: async (id) => emrStates[id] };
  const activities = createActivities({
    clusters,
    livy,
    watcher,
    health: new HealthProbe(livy, opts.healthTtlMs ?? 0),
    batchSettings: { sizes: DEFAULT_SIZE_SETTINGS, sqlRunnerUri: 's3://platform/sql_runner.py' },
    heartbeatIntervalMs: 50,
    logTailLines: 5,
    clusterCheckIntervalMs: 20,
    breakers,
    rateLimiter: opts.rateLimiter,
    teams: opts.teams,
  });
  const s: Stack = {
    sims,
    livy,
    watcher,
    breakers,
    clock,
    emrStates,
    activities,
    submit: (cluster, extra = {}) => {
      const name = extra.batchName ?? batchName();
      return runActivity(activities.submitBatch, { jobId: name.replace(/-a\d+$/, ''), cluster, livyUrl: sims[cluster]!.url, batchName: name, spec: spec(), ...extra });
    },
    route: (route) => runActivity(activities.routeJob, { jobId: 'team-x', attempt: 1, route, exclude: [] }),
  };
  stacks.push(s);
  return s;
}

afterEach(async () => {
  for (const s of stacks.splice(0)) {
    s.watcher.stop();
    await s.livy.close();
    await Promise.all(Object.values(s.sims).map((sim) => sim.close()));
  }
});

/** Two clusters in pool etl; `b` holds a batch, so routing prefers `a` while both are healthy. */
async function twoClusters(opts: Parameters<typeof stack>[1] = {}): Promise<Stack> {
  const s = await stack(['a', 'b'], opts);
  await s.livy.for(s.sims.b!.url).createBatch({ name: 'b-load', file: 's3://b/x.py' });
  expect((await s.route({ pool: 'etl' })).cluster).toBe('a');
  return s;
}

/** Fails `n` submissions to the cluster with Livy 500s. */
async function failSubmits(s: Stack, cluster: string, n: number): Promise<void> {
  s.sims[cluster]!.setFaults({ errorRate: 1 });
  try {
    for (let i = 0; i < n; i++) {
      const err = await rejection(s.submit(cluster), ApplicationFailure);
      expect(err.type).toBe(ErrorType.LivyServerError);
      expect(err.nonRetryable).toBeFalsy();
    }
  } finally {
    s.sims[cluster]!.setFaults({ errorRate: 0 });
  }
}

describe('circuit breaker: submitBatch opens it, routeJob obeys it', () => {
  it('three 5xx submissions open the breaker, and routing then skips the cluster without probing it', async () => {
    const s = await twoClusters();
    await failSubmits(s, 'a', 2);
    expect(s.breakers.position('a')).toBe('closed');
    // below the threshold the cluster is still routed to
    expect((await s.route({ pool: 'etl' })).cluster).toBe('a');

    await failSubmits(s, 'a', 1);
    expect(s.breakers.position('a')).toBe('open');
    expect(s.sims.a!.requests({ method: 'POST' })).toEqual([]);

    // Livy on `a` answers again, but the breaker keeps it out until the cool-down ends
    s.sims.a!.clearRequests();
    const choice = await s.route({ pool: 'etl' });
    expect(choice).toMatchObject({ cluster: 'b', livyUrl: s.sims.b!.url, reason: 'pool=etl: b, the only healthy match' });
    expect(s.sims.a!.requests()).toEqual([]);
    s.clock.advance(COOL_DOWN_MS - 1);
    expect((await s.route({ pool: 'etl' })).cluster).toBe('b');
    expect(s.sims.a!.requests()).toEqual([]);
  });

  it('NoHealthyCluster (retryable) when the only matches are open, saying until when', async () => {
    const s = await twoClusters();
    await failSubmits(s, 'a', 3);
    const until = new Date(s.breakers.reopensAt('a')!).toISOString();
    expect(until).toBe(new Date(s.clock.now() + COOL_DOWN_MS).toISOString());

    const only = await rejection(s.route({ clusterId: 'a' }), ApplicationFailure);
    expect(only.type).toBe(ErrorType.NoHealthyCluster);
    expect(only.nonRetryable).toBeFalsy();
    expect(only.message).toBe(`no healthy cluster for the route: a: circuit open after repeated infra failures, until ${until}`);

    await failSubmits(s, 'b', 3);
    const both = await rejection(s.route({ pool: 'etl' }), ApplicationFailure);
    expect(both.type).toBe(ErrorType.NoHealthyCluster);
    expect(both.message).toMatch(/a: circuit open .*; b: circuit open/);
  });

  it('after the cool-down, a successful probe in routeJob closes the half-open breaker', async () => {
    const s = await twoClusters();
    await failSubmits(s, 'a', 3);
    s.clock.advance(COOL_DOWN_MS);
    expect(s.breakers.position('a')).toBe('half-open');

    s.sims.a!.clearRequests();
    const choice = await s.route({ pool: 'etl' });
    expect(choice.cluster).toBe('a');
    expect(s.sims.a!.requests()).toEqual([expect.objectContaining({ method: 'GET', path: '/batches', status: 200 })]);
    expect(s.breakers.position('a')).toBe('closed');
    expect(s.breakers.reopensAt('a')).toBeUndefined();
    // closed means a fresh count: two more failures do not open it
    await failSubmits(s, 'a', 2);
    expect(s.breakers.position('a')).toBe('closed');
  });

  it('a half-open cluster whose probe fails is not chosen and not closed', async () => {
    const s = await twoClusters();
    await failSubmits(s, 'a', 3);
    s.clock.advance(COOL_DOWN_MS);
    s.sims.a!.setFaults({ errorRate: 1 });
    expect((await s.route({ pool: 'etl' })).cluster).toBe('b');
    expect(s.sims.a!.requests({ method: 'GET' }).at(-1)).toMatchObject({ path: '/batches', status: 500 });
    expect(s.breakers.position('a')).not.toBe('closed');
    const err = await rejection(s.route({ clusterId: 'a' }), ApplicationFailure);
    expect(err.type).toBe(ErrorType.NoHealthyCluster);
    expect(err.message).toMatch(/a: .*500 simulated failure/);

    // once the probe succeeds, it is closed and chosen again
    s.sims.a!.setFaults({ errorRate: 0 });
    expect((await s.route({ pool: 'etl' })).cluster).toBe('a');
    expect(s.breakers.position('a')).toBe('closed');
  });

  it('the half-open probe is a fresh one, not a health answer cached from before the failures', async () => {
    // health answers are cached for a while (here longer than the cool-down)
    const s = await twoClusters({ healthTtlMs: 600_000 });
    await failSubmits(s, 'a', 3);
    s.clock.advance(COOL_DOWN_MS);
    s.sims.a!.setFaults({ errorRate: 1 });
    s.sims.a!.clearRequests();
    expect((await s.route({ pool: 'etl' })).cluster).toBe('b');
    expect(s.sims.a!.requests()).toEqual([expect.objectContaining({ method: 'GET', path: '/batches', status: 500 })]);
    expect(s.breakers.position('a')).not.toBe('closed');
  });

  it('one failed submission while half-open re-opens the breaker at once', async () => {
    const s = await twoClusters();
    await failSubmits(s, 'a', 3);
    s.clock.advance(COOL_DOWN_MS + 5);
    expect(s.breakers.position('a')).toBe('half-open');
    await failSubmits(s, 'a', 1);
    expect(s.breakers.position('a')).toBe('open');
    expect(s.breakers.reopensAt('a')).toBe(s.clock.now() + COOL_DOWN_MS);
    expect((await s.route({ pool: 'etl' })).cluster).toBe('b');
  });

  it('a successful submission resets the count: only consecutive failures open it', async () => {
    const s = await twoClusters();
    await failSubmits(s, 'a', 2);
    const ok = await s.submit('a');
    expect(ok).toMatchObject({ adopted: false, state: 'starting' });
    await failSubmits(s, 'a', 2);
    expect(s.breakers.position('a')).toBe('closed');
    await failSubmits(s, 'a', 1);
    expect(s.breakers.position('a')).toBe('open');
  });

  it('an unreachable Livy counts against the cluster too', async () => {
    const s = await twoClusters();
    s.sims.a!.setFaults({ dropRate: 1 });
    for (let i = 0; i < 3; i++) expect((await rejection(s.submit('a'), ApplicationFailure)).type).toBe(ErrorType.LivyUnreachable);
    s.sims.a!.setFaults({ dropRate: 0 });
    expect(s.breakers.position('a')).toBe('open');
    expect((await s.route({ pool: 'etl' })).cluster).toBe('b');
  });

  it('job errors do not count: a body Livy refuses leaves the breaker closed', async () => {
    const s = await twoClusters();
    for (let i = 0; i < 4; i++) {
      // the simulator refuses a conf value it cannot read with a 400
      const err = await rejection(s.submit('a', { spec: spec({ conf: { 'shale.sim.outcome': 'sucess' } }) }), ApplicationFailure);
      expect(err.type).toBe(ErrorType.LivyBadRequest);
    }
    expect(s.breakers.position('a')).toBe('closed');
    expect((await s.route({ pool: 'etl' })).cluster).toBe('a');
  });

  it('a cluster EMR reports lost under a waiting job counts against its breaker', async () => {
    const s = await stack(['a'], { failureThreshold: 1 });
    const submitted = await s.submit('a');
    const wait = runActivity(s.activities.waitForBatchChange, { cluster: 'a', livyUrl: s.sims.a!.url, batchId: submitted.batchId, batchName: submitted.batchName, knownState: submitted.state, windowSeconds: 60 });
    s.emrStates.a = 'TERMINATED';
    const err = await rejection(wait, ApplicationFailure);
    expect(err.type).toBe(ErrorType.ClusterLost);
    expect(s.breakers.position('a')).toBe('open');
  });
});

describe('size policy in submitBatch', () => {
  const teams: Record<string, TeamSizePolicy> = { team: { maxSize: 'DEFAULT' }, '*': { maxSize: 'SMALL' } };

  it('refuses a spec over its team’s cap: non-retryable PolicyViolation, and no POST', async () => {
    const s = await stack(['a'], { teams });
    const name = batchName();
    const err = await rejection(s.submit('a', { batchName: name, spec: spec({ size: 'LARGE' }) }), ApplicationFailure);
    expect(err.type).toBe(ErrorType.PolicyViolation);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toBe("size LARGE is over team team's cap DEFAULT (teams.team.maxSize)");
    expect(s.sims.a!.requests({ method: 'POST' })).toEqual([]);
    // refused before Livy is asked anything
    expect(s.sims.a!.requests()).toEqual([]);
    // the job's fault, not the cluster's
    expect(s.breakers.position('a')).toBe('closed');
  });

  it("applies '*' to teams not listed, and refuses sizing conf overrides", async () => {
    const s = await stack(['a'], { teams });
    const other = await rejection(s.submit('a', { spec: spec({ team: 'other', size: 'DEFAULT' }) }), ApplicationFailure);
    expect(other).toMatchObject({ type: ErrorType.PolicyViolation, nonRetryable: true });
    expect(other.message).toMatch(/cap SMALL \(teams\.\*\.maxSize\)/);

    const override = await rejection(s.submit('a', { spec: spec({ conf: { 'spark.executor.instances': '400' } }) }), ApplicationFailure);
    expect(override).toMatchObject({ type: ErrorType.PolicyViolation, nonRetryable: true });
    expect(override.message).toMatch(/spark\.executor\.instances .*teams\.team\.allowSizeOverrides/);
    expect(s.sims.a!.requests({ method: 'POST' })).toEqual([]);
  });

  it('lets a spec within its cap through', async () => {
    const s = await stack(['a'], { teams });
    const name = batchName();
    const ok = await s.submit('a', { batchName: name, spec: spec({ size: 'DEFAULT' }) });
    expect(ok).toMatchObject({ batchName: name, adopted: false });
    expect(s.sims.a!.requests({ method: 'POST', name })).toEqual([expect.objectContaining({ status: 201 })]);
    const small = await s.submit('a', { spec: spec({ team: 'other', size: 'SMALL' }) });
    expect(small.adopted).toBe(false);
  });
});

describe('rate limiter in submitBatch', () => {
  /** A limiter the test opens by hand, recording who asked. */
  class Gate extends SubmissionRateLimiter {
    readonly asked: string[] = [];
    private release: Array<() => void> = [];
    constructor() {
      super({ perSecond: 1, burst: 1 });
    }
    override take(clusterId: string): Promise<void> {
      this.asked.push(clusterId);
      return new Promise((resolve) => this.release.push(resolve));
    }
    open(): void {
      for (const r of this.release.splice(0)) r();
    }
  }

  it('holds the POST until the limiter lets it go', async () => {
    const gate = new Gate();
    const s = await stack(['a'], { rateLimiter: gate });
    const name = batchName();
    const submitting = s.submit('a', { batchName: name });
    await vi.waitFor(() => expect(gate.asked).toEqual(['a']), { timeout: 3_000, interval: 5 });
    // nothing is created while the limiter holds it
    expect(s.sims.a!.requests({ method: 'POST', name })).toEqual([]);
    gate.open();
    const result = await submitting;
    expect(result).toMatchObject({ batchName: name, adopted: false });
    expect(s.sims.a!.requests({ method: 'POST', name })).toEqual([expect.objectContaining({ status: 201, batchId: result.batchId })]);
  });

  it('adopting an existing batch does not wait for the limiter', async () => {
    const gate = new Gate();
    const s = await stack(['a'], { rateLimiter: gate });
    const name = batchName();
    await s.livy.for(s.sims.a!.url).createBatch({ name, file: 's3://b/main.py' });
    const result = await s.submit('a', { batchName: name });
    expect(result).toMatchObject({ batchName: name, adopted: true });
    expect(gate.asked).toEqual([]);
  });

  it('a policy refusal never takes a token', async () => {
    const gate = new Gate();
    const s = await stack(['a'], { rateLimiter: gate, teams: { '*': { maxSize: 'SMALL' } } });
    expect((await rejection(s.submit('a', { spec: spec({ size: 'LARGE' }) }), ApplicationFailure)).type).toBe(ErrorType.PolicyViolation);
    expect(gate.asked).toEqual([]);
  });
});
