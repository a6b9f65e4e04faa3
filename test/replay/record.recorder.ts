/**
 * `make record-histories`: records this release's replay corpus (test/replay/histories/<release>/).
 *
 * Every path of paths.ts is driven against the real thing: the run's dev server, real Shale workers
 * (createShaleWorker) that are a Worker Deployment version of this build (pinned, as in production),
 * Livy simulators and EMR on moto. Each path checks that the job really went that way before its
 * histories (one per run) are kept. Only when every path is recorded is the release's directory
 * replaced, with a manifest naming the build and its workflow source fingerprint; a failed run
 * leaves the corpus in place. The `accepts` list of a manifest being replaced is carried over.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EMRClient } from '@aws-sdk/client-emr';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startLivySimulator, type LivySimulator, type RequestLogEntry } from '../../dev/livy-sim';
import {
  cancelSignal,
  parseJobSpec,
  requestCancelUpdate,
  specFingerprint,
  WORKFLOW_TYPE,
  type CancelArgs,
  type CancelVia,
  type JobState,
  type JobStatus,
  type SparkJobInput,
} from '../../contract';
import { READ_JOB_LOG_WORKFLOW } from '../../client/logs';
import type { sparkJob } from '../../workflows';
import type { JobLogRead } from '../../workflows/batchLog';
import { buildIdOf, setCurrentVersion, workflowSourceFingerprint } from '../../worker/versioning';
import { CANCEL_PATHS, expectedCancelRecord, requestCancel, type Canceller } from '../support/cancelPaths';
import { createCluster, emrClient, terminateCluster } from '../support/emr';
import { saveJobHistories } from '../support/histories';
import { activitiesScheduled, EventType, eventsOfType, waitUntilRequestsHandled, type History } from '../support/history';
import type { JobHandle } from '../support/jobHarness';
import { simSpec, startStack, type E2EStack } from '../support/stack';
import { buildIdsOf, HISTORIES_ROOT, parseHistory, readCorpus, SCRATCH_ROOT, sourceOf, sourcesCommittedAt, type Manifest, type RecordedRun } from './corpus';
import { CANCEL_MOMENTS, cancelPathName, REQUIRED_PATHS, type CancelMoment } from './paths';

const fingerprint = await workflowSourceFingerprint();
const release = fingerprint.release;
const buildId = buildIdOf(fingerprint);
const DEPLOYMENT = 'shale';
const NAMESPACE = 'default';
const STAGE = join(SCRATCH_ROOT, 'record', release);
const recorded: Record<string, RecordedRun[]> = {};

/** The workers are this build's Worker Deployment version, its jobs pinned, as in production. */
const versionedEnv: NodeJS.ProcessEnv = { ...process.env, SHALE_WORKER_VERSIONING: 'pinned', SHALE_DEPLOYMENT_NAME: DEPLOYMENT, SHALE_BUILD_ID: '' };

let stack: E2EStack;
/**
 * A second worker that looks at Livy only every 4 s (a batch can end unseen before a cancel) and
 * has no livy.failoverAfterUnreachableSeconds (an unreachable Livy is waited for).
 */
let quiet: E2EStack;
let emr: EMRClient;
const sims: Record<string, LivySimulator> = {};
const emrIds: Record<string, string> = {};

const FOREVER = '600000';
const alice: Canceller = { requestedBy: 'alice@analytics', reason: 'wrong input date' };
const bob: Canceller = { requestedBy: 'bob@analytics', reason: 'duplicate run' };

/** The static clusters of the main worker, each on a simulator of its own. */
const STATIC_CLUSTERS = [
  'main',
  'slowPost',
  'lost',
  'adopt',
  'down',
  'slowApi',
  'yarnKilled',
  'forgot',
  'crash',
  'busy',
  'full',
  'fenceA',
  'fenceB',
  'fencedOk',
  'sweepA',
  'sweepB',
] as const;
/** Clusters whose YARN ResourceManager (served on the simulator's port) is configured: reconcile asks it about batches Livy forgot. */
const WITH_RESOURCE_MANAGER = new Set<string>(['yarnKilled', 'forgot', 'crash']);
/** One spark-submit in flight at a time: a batch stuck in 'starting' makes every POST a capacity refusal. */
const ONE_SUBMIT_AT_A_TIME = new Set<string>(['busy', 'full']);
const POOL_OF: Record<string, string> = { sweepA: 'sweep', sweepB: 'sweep', fenceA: 'fence', fenceB: 'fence' };
/** The quiet worker's clusters. */
const QUIET_CLUSTERS = ['quiet', 'outage', 'lostAnswer'] as const;

beforeAll(async () => {
  const inPlace = await readCorpus(join(HISTORIES_ROOT, release)).catch(() => undefined);
  if (inPlace?.manifest.shipped && inPlace.manifest.workflowSource.hash !== fingerprint.hash) {
    throw new Error(`release ${release} has shipped (its manifest says so): bump package.json's version to record build ${buildId}`);
  }
  await rm(STAGE, { recursive: true, force: true });
  for (const name of [...STATIC_CLUSTERS, ...QUIET_CLUSTERS, 'etlA', 'etlB', 'solo']) {
    sims[name] = await startLivySimulator({ name, startingMs: 100, defaultDurationMs: 500, ...(ONE_SUBMIT_AT_A_TIME.has(name) ? { maxInFlightSubmits: 1 } : {}) });
  }
  // The POST's answer comes after the worker's 1 s request timeout: the submit activity retries and finds the batch by name
  // (on the quiet worker for the submit-retried path: no failover bound can turn the late answer into a failover there).
  for (const name of ['slowPost', 'lostAnswer']) sims[name]!.setFaults({ postAnswerDelayMs: 2500 });
  // Every answer a little late: a cancel's kill takes a moment, long enough for a second cancel to arrive.
  sims.slowApi!.setFaults({ latencyMs: 300 });
  // A cluster that never answers: nothing can take a job routed to it.
  await sims.down!.stop();
  emr = emrClient();
  const tags = { 'shale:test-run': `record-${process.pid}-${Date.now()}` };
  emrIds.etlA = await createCluster(emr, { name: 'etl-a', releaseLabel: 'emr-6.15.0', livyUrl: sims.etlA!.url, pool: 'etl', tags });
  emrIds.etlB = await createCluster(emr, { name: 'etl-b', releaseLabel: 'emr-7.2.0', livyUrl: sims.etlB!.url, pool: 'etl', tags });
  emrIds.solo = await createCluster(emr, { name: 'solo', releaseLabel: 'emr-6.15.0', livyUrl: sims.solo!.url, pool: 'solo', tags });
  const staticClusters = STATIC_CLUSTERS.map((id) => ({
    id,
    livyUrl: sims[id]!.url,
    sparkVersion: '3' as const,
    ...(WITH_RESOURCE_MANAGER.has(id) ? { resourceManagerUrl: sims[id]!.url } : {}),
    ...(POOL_OF[id] ? { pool: POOL_OF[id] } : {}),
  }));
  stack = await startStack(
    'record',
    {
      clusters: staticClusters,
      emr: {
        enabled: true,
        endpoint: inject('motoEndpoint'),
        region: 'us-east-1',
        cacheTtlMs: 200,
        stateCheckIntervalMs: 200,
        requiredTags: tags,
        // The simulators' shale:livy-url tags.
        tagUrlAllowlist: ['http://127.0.0.1:*'],
      },
    },
    { env: versionedEnv },
  );
  // No failover bound here: an unreachable Livy is waited for (the submit-outage path); the main worker gives up after 2 s.
  quiet = await startStack(
    'record-quiet',
    {
      clusters: QUIET_CLUSTERS.map((id) => ({ id, livyUrl: sims[id]!.url, sparkVersion: '3' as const })),
      livy: { pollIntervalMs: 4000, requestTimeoutMs: 1000 },
    },
    { env: versionedEnv },
  );
  try {
    await setCurrentVersion(stack.client.temporal.connection, { namespace: NAMESPACE, deploymentName: DEPLOYMENT, buildId }, { identity: 'record-histories' });
  } catch (err) {
    throw new Error(
      `the workers did not poll as Worker Deployment version ${DEPLOYMENT}/${buildId}: createShaleWorker must spread ` +
        `(await workerVersioning({ env })).workerOptions into Worker.create (worker/versioning.ts). ${(err as Error).message}`,
    );
  }
});

afterAll(async () => {
  await Promise.all([stack?.teardown(), quiet?.teardown()]);
  await Promise.all(Object.values(sims).map((s) => s.close()));
  emr?.destroy();
  const missing = Object.keys(REQUIRED_PATHS).filter((p) => !recorded[p]);
  if (missing.length > 0) throw new Error(`not recorded: ${missing.join(', ')}; the corpus in test/replay/histories/${release}/ is left as it was`);
  await writeCorpus();
});

async function writeCorpus(): Promise<void> {
  const dir = join(HISTORIES_ROOT, release);
  const previous = await readCorpus(dir).catch(() => undefined);
  const sourceCommit = await sourcesCommittedAt();
  const manifest: Manifest = {
    release,
    buildId,
    workflowSource: sourceOf(fingerprint),
    ...(sourceCommit ? { sourceCommit } : {}),
    recordedAt: new Date().toISOString(),
    recordedWith: `make record-histories on ${execFileSync(inject('tools').temporal, ['--version'], { encoding: 'utf8' }).trim()}`,
    accepts: previous?.manifest.accepts ?? [],
    ...(previous?.manifest.shipped ? { shipped: true } : {}),
    paths: Object.fromEntries(Object.keys(REQUIRED_PATHS).map((p) => [p, recorded[p]!])),
  };
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const runs of Object.values(manifest.paths)) for (const r of runs) await cp(join(STAGE, r.file), join(dir, r.file));
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const files = Object.values(manifest.paths).flat().length;
  console.log(`recorded ${Object.keys(manifest.paths).length} paths (${files} histories) of build ${buildId} into test/replay/histories/${release}/`);
}

/**
 * Keeps the job's histories once it has gone the way the path says; every workflow task must be this
 * build's. Each run is kept with its workflow id (a replay runs under it): the job's runs have the
 * job's, and the children they started (saved after them, in the order they were started) their own.
 */
async function keep(path: string, jobId: string, on: E2EStack = stack): Promise<void> {
  const runs = await saveJobHistories(on.client.temporal, jobId, STAGE, path);
  const childIds: string[] = [];
  const kept: RecordedRun[] = [];
  for (const r of runs) {
    const recordedRun = parseHistory(await readFile(join(STAGE, r.file), 'utf8'));
    expect([...buildIdsOf(recordedRun)], `${path}: workflow tasks completed by another build`).toEqual([buildId]);
    const isChild = recordedRun.events?.[0]?.workflowExecutionStartedEventAttributes?.parentWorkflowExecution?.workflowId === jobId;
    const workflowId = isChild ? childIds.shift() : jobId;
    expect(workflowId, `${path}: the workflow id of ${r.file}`).toBeDefined();
    if (!isChild) {
      for (const e of eventsOfType(recordedRun, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)) {
        childIds.push(e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!);
      }
    }
    kept.push({ ...r, workflowId: workflowId! });
  }
  recorded[path] = kept;
}

/** POSTs a batch to a simulator as another Livy client would, on a connection of its own (a restart resets pooled ones). */
async function postBatch(sim: LivySimulator, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const agent = new Agent();
  try {
    const res = await request(`${sim.url}/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-by': 'recorder' },
      body: JSON.stringify(body),
      dispatcher: agent,
    });
    return { status: res.statusCode, body: await res.body.json() };
  } finally {
    await agent.close();
  }
}

function onCluster(clusterId: string, name: string, conf: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return simSpec(name, conf, { route: { clusterId }, ...extra });
}

async function submit(spec: unknown, on: E2EStack = stack): Promise<string> {
  return (await on.client.submit(spec)).jobId;
}

async function handleOf(jobId: string, on: E2EStack = stack): Promise<JobHandle> {
  const handle = on.client.temporal.workflow.getHandle<typeof sparkJob>(jobId);
  const firstExecutionRunId = (await handle.describe()).runId;
  return { ...handle, firstExecutionRunId };
}

async function untilStatus(jobId: string, accept: (s: JobStatus) => boolean, what: string, on: E2EStack = stack, timeout = 30_000): Promise<JobStatus> {
  return vi.waitFor(
    async () => {
      const status = await on.client.status(jobId);
      if (!accept(status)) {
        const why = status.lastError ? ` (${status.lastError.type}: ${status.lastError.message})` : '';
        throw new Error(`${jobId}: waiting for ${what}; it is ${status.state}${why}`);
      }
      return status;
    },
    { timeout, interval: 50 },
  );
}

const untilState = (jobId: string, state: JobState, on: E2EStack = stack) => untilStatus(jobId, (s) => s.state === state, state, on);
const ended = (jobId: string, on: E2EStack = stack) => on.client.wait(jobId, { pollIntervalMs: 100 });
const history = (jobId: string, on: E2EStack = stack): Promise<History> => on.client.temporal.workflow.getHandle(jobId).fetchHistory();

/** Waits until the job's (latest run's) history satisfies `accept`. */
async function untilHistory(jobId: string, accept: (h: History) => boolean, what: string, on: E2EStack = stack, timeout = 30_000): Promise<History> {
  return vi.waitFor(
    async () => {
      const h = await history(jobId, on);
      if (!accept(h)) throw new Error(`${jobId}: waiting for ${what}`);
      return h;
    },
    { timeout, interval: 100 },
  );
}

/** The attempt each activity of `type` ended on (its ActivityTaskStarted event records the last one). */
function activityAttempts(h: History, type: string): number[] {
  const scheduled = new Set(
    eventsOfType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
      .map((e) => String(e.eventId)),
  );
  return eventsOfType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    .filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
    .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
}

/** The activity types that completed, in order. */
function activitiesCompleted(h: History): string[] {
  const names = new Map(
    eventsOfType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?']),
  );
  return eventsOfType(h, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED).map((e) => names.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)) ?? '?');
}

/** Another client's batch stuck in 'starting': on a simulator with maxInFlightSubmits 1, every POST is then refused for capacity. */
async function occupy(sim: LivySimulator): Promise<number> {
  const res = await postBatch(sim, { file: 's3://other/app.py', name: `blocker-${Date.now().toString(36)}`, conf: { 'shale.sim.startingMs': FOREVER } });
  expect(res.status).toBe(201);
  return (res.body as { id: number }).id;
}

/** Resolves as soon as the simulator has answered a request `accept` takes (checked every millisecond). */
async function untilRequest(sim: LivySimulator, accept: (r: RequestLogEntry) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!sim.requests().some(accept)) {
    if (Date.now() > deadline) throw new Error('the simulator saw no such request');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Runs readJobLog as `shale logs` does (client/logs.ts), under a workflow id of our own so its history can be kept. */
function readJobLog(workflowId: string, input: unknown): Promise<JobLogRead> {
  return stack.client.temporal.workflow.execute(READ_JOB_LOG_WORKFLOW, { taskQueue: stack.taskQueue, workflowId, args: [input] }) as Promise<JobLogRead>;
}

const failureOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

/** Starts the workflow as `temporal workflow start` would: with options the client does not set, or a raw spec. */
async function startRaw(name: string, input: (jobId: string) => SparkJobInput): Promise<string> {
  const jobId = `e2e-raw-${name}-${process.pid}-${Date.now().toString(36)}`;
  await stack.client.temporal.workflow.start(WORKFLOW_TYPE, { workflowId: jobId, taskQueue: stack.taskQueue, args: [input(jobId)] });
  return jobId;
}

function normalized(spec: unknown) {
  const parsed = parseJobSpec(spec);
  if (!parsed.ok) throw new Error(`recorder spec is invalid: ${JSON.stringify(parsed.errors)}`);
  return parsed.spec;
}

describe.concurrent(`record the ${release} corpus (build ${buildId})`, () => {
  it('success', async () => {
    const jobId = await submit(onCluster('main', 'ok'));
    expect(await ended(jobId)).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED' }] });
    await keep('success', jobId);
  });

  it('app-failure-retry', async () => {
    const jobId = await submit(onCluster('main', 'flaky', { 'shale.sim.outcomes': 'dead,success' }));
    const status = await ended(jobId);
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts.map((a) => a.outcome)).toEqual(['APP_FAILED', 'SUCCEEDED']);
    await keep('app-failure-retry', jobId);
  });

  it('retries-exhausted', async () => {
    const jobId = await submit(onCluster('main', 'doomed', { 'shale.sim.outcomes': 'dead,dead,dead' }, { retry: { app: 1, initialBackoff: 1, maxBackoff: 1 } }));
    const status = await ended(jobId);
    expect(status.state).toBe('FAILED');
    expect(status.attempts.map((a) => a.outcome)).toEqual(['APP_FAILED', 'APP_FAILED']);
    await keep('retries-exhausted', jobId);
  });

  it('submit-retried', async () => {
    const jobId = await submit(onCluster('lostAnswer', 'slow-answer'), quiet);
    const status = await ended(jobId, quiet);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ adopted: true, outcome: 'SUCCEEDED' }] });
    expect(status.attempts).toHaveLength(1);
    expect(sims.lostAnswer!.requests({ method: 'POST', name: `${jobId}-a1` })).toHaveLength(1);
    expect(activityAttempts(await history(jobId, quiet), 'submitBatch')[0]).toBeGreaterThanOrEqual(2);
    await keep('submit-retried', jobId, quiet);
  });

  it('batch-lost-retry', async () => {
    const sim = sims.lost!;
    const jobId = await submit(onCluster('lost', 'lost', { 'shale.sim.durationMs': FOREVER }));
    await untilState(jobId, 'RUNNING');
    await sim.restart({ keepState: false });
    const second = await untilStatus(jobId, (s) => s.attempts[1]?.batchState === 'running', 'attempt 2 running');
    expect(second.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED' });
    expect(sim.finish(`${jobId}-a2`, 'success')).toBe(true);
    expect((await ended(jobId)).state).toBe('SUCCEEDED');
    expect(activitiesScheduled(await history(jobId))).toContain('reconcileBatch');
    await keep('batch-lost-retry', jobId);
  });

  it('batch-lost-yarn-killed', async () => {
    const sim = sims.yarnKilled!;
    const jobId = await submit(onCluster('yarnKilled', 'killed-on-yarn', { 'shale.sim.durationMs': FOREVER }));
    await untilState(jobId, 'RUNNING');
    // A graceful restart without state: Livy kills the apps it ran and forgets them; YARN keeps the KILLED app.
    await sim.restart({ keepState: false });
    const second = await untilStatus(jobId, (s) => s.attempts[1]?.batchState === 'running', 'attempt 2 running');
    expect(second.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED', batchState: 'killed', source: 'yarn' });
    expect(second.attempts[0]!.reason).toMatch(/YARN says its app was killed/);
    expect(sim.finish(`${jobId}-a2`, 'success')).toBe(true);
    expect((await ended(jobId)).state).toBe('SUCCEEDED');
    expect(activitiesScheduled(await history(jobId))).toContain('reconcileBatch');
    await keep('batch-lost-yarn-killed', jobId);
  });

  it('reconcile-adopt', async () => {
    const sim = sims.forgot!;
    const jobId = await submit(onCluster('forgot', 'forgotten', { 'shale.sim.durationMs': FOREVER }));
    await untilState(jobId, 'RUNNING');
    // In one tick, unseen by the worker: the batch succeeds and Livy forgets it (its retain ran out). YARN keeps how the app ended.
    expect(sim.finish(`${jobId}-a1`, 'success')).toBe(true);
    expect(sim.expireFinished()).toBeGreaterThanOrEqual(1);
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED', batchState: 'success', source: 'yarn' }] });
    expect(status.attempts).toHaveLength(1);
    expect(sim.requests({ method: 'POST', name: `${jobId}-a1` })).toHaveLength(1);
    expect(activitiesScheduled(await history(jobId))).toContain('reconcileBatch');
    await keep('reconcile-adopt', jobId);
  });

  it('reconcile-yarn-tracked', async () => {
    const sim = sims.crash!;
    const jobId = await submit(onCluster('crash', 'on-yarn', { 'shale.sim.durationMs': '5000' }));
    await untilState(jobId, 'RUNNING');
    // Livy crashes and comes back without state: the app runs on in YARN, untracked by Livy, to its end.
    await sim.restart({ keepState: false, crash: true });
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED', batchState: 'success', source: 'yarn' }] });
    expect(status.attempts).toHaveLength(1);
    const activities = activitiesScheduled(await history(jobId));
    const reconciled = activities.indexOf('reconcileBatch');
    expect(reconciled, 'reconciled').toBeGreaterThan(0);
    expect(activities.slice(reconciled + 1), 'then followed on YARN').toContain('waitForBatchChange');
    await keep('reconcile-yarn-tracked', jobId);
  });

  it('reconcile-new-id', async () => {
    const sim = sims.adopt!;
    // Someone else's batch first, so ours does not get id 0 (which the one recovered below takes).
    const other = await postBatch(sim, { file: 's3://other/app.py', name: 'other-team-batch', conf: { 'shale.sim.durationMs': FOREVER } });
    expect(other.status).toBe(201);
    const jobId = await submit(onCluster('adopt', 'adopt', { 'shale.sim.durationMs': FOREVER }));
    const before = await untilState(jobId, 'RUNNING');
    await sim.restart({ keepState: false });
    // Livy comes back holding our batch under a new id (as after a recovery into a fresh id space).
    const recovered = await postBatch(sim, { file: 's3://shale-e2e/jobs/app.py', name: `${jobId}-a1`, conf: { 'shale.sim.durationMs': FOREVER } });
    expect(recovered.status).toBe(201);
    const newId = (recovered.body as { id: number }).id;
    expect(newId).not.toBe(before.attempts[0]!.batchId);
    // Polls every 100 ms: the job sees the batch under its name again (or reconciles it by name if it looked in the gap).
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim.finish(`${jobId}-a1`, 'success')).toBe(true);
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED', batchId: newId }] });
    expect(status.attempts).toHaveLength(1);
    await keep('reconcile-new-id', jobId);
  });

  it('continue-as-new', async () => {
    const spec = normalized({ ...onCluster('main', 'chain', { 'shale.sim.durationMs': '4000' }), requestedBy: 'recorder' });
    const jobId = await startRaw('chain', (id) => ({ jobId: id, spec, fingerprint: specFingerprint(spec), options: { historyLimit: 12, trackWindowSeconds: 1 } }));
    expect((await ended(jobId)).state).toBe('SUCCEEDED');
    const last = await history(jobId);
    expect(last.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId, 'the job continued as new').toBeTruthy();
    await keep('continue-as-new', jobId);
    expect(recorded['continue-as-new']!.length).toBeGreaterThanOrEqual(2);
  });

  it('rerun-after-failure', async () => {
    const spec = onCluster('main', 'rerun', { 'shale.sim.outcomes': 'dead,success' }, { retry: { app: 0 } });
    const key = `recorder-rerun-${Date.now().toString(36)}`;
    const first = await stack.client.submit(spec, { idempotencyKey: key });
    expect((await ended(first.jobId)).state).toBe('FAILED');
    const again = await stack.client.submit(spec, { idempotencyKey: key });
    expect(again).toMatchObject({ jobId: first.jobId, created: true, rerun: true });
    const status = await ended(first.jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', run: 2, previousRuns: [{ run: 1, state: 'FAILED', lastAttempt: 1 }], attempts: [{ n: 2 }] });
    // The rerun's own run (it holds the earlier run in its input); run 1 is the retries-exhausted kind of history.
    await keep('rerun-after-failure', first.jobId);
  });

  it('run-timeout', async () => {
    const jobId = await submit(onCluster('main', 'too-long', { 'shale.sim.durationMs': FOREVER }, { timeouts: { run: 2 } }));
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'TIMED_OUT', lastError: { type: 'RunTimeout' }, attempts: [{ outcome: 'TIMED_OUT' }] });
    expect(sims.main!.requests({ method: 'DELETE', name: `${jobId}-a1` })).toHaveLength(1);
    await keep('run-timeout', jobId);
  });

  it('queue-timeout', async () => {
    const jobId = await submit(onCluster('down', 'no-room', {}, { timeouts: { queue: 2 } }));
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'TIMED_OUT', lastError: { type: 'QueueTimeout' }, attempts: [] });
    await keep('queue-timeout', jobId);
  });

  it('cluster-failover', async () => {
    const jobId = await submit(simSpec('failover', { 'shale.sim.durationMs': FOREVER }, { route: { pool: 'etl' } }));
    const running = await untilState(jobId, 'RUNNING');
    const [lost, other] = running.attempts[0]!.cluster === emrIds.etlA ? ['etlA', 'etlB'] : ['etlB', 'etlA'];
    // EMR says so first (the job's EMR check, every 200 ms, sees it before the 2 s unreachable bound), then the cluster is gone.
    await terminateCluster(emr, emrIds[lost!]!);
    await sims[lost!]!.stop();
    const moved = await untilStatus(jobId, (s) => s.attempts[1]?.batchState === 'running', 'attempt 2 running elsewhere');
    expect(moved.attempts[1]!.cluster).toBe(emrIds[other!]);
    expect(sims[other!]!.finish(moved.attempts[1]!.batchName, 'success')).toBe(true);
    const status = await ended(jobId);
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts.map((a) => a.outcome)).toEqual(['INFRA_FAILED', 'SUCCEEDED']);
    await keep('cluster-failover', jobId);
  });

  it('cluster-lost', async () => {
    const jobId = await submit(simSpec('orphan', { 'shale.sim.durationMs': FOREVER }, { route: { clusterId: emrIds.solo } }));
    await untilState(jobId, 'RUNNING');
    await terminateCluster(emr, emrIds.solo!);
    await sims.solo!.stop();
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'FAILED', lastError: { type: 'ClusterLost' } });
    await keep('cluster-lost', jobId);
  });

  it('unreachable-fenced', async () => {
    const jobId = await submit(simSpec('fenced', { 'shale.sim.durationMs': FOREVER }, { route: { pool: 'fence' } }));
    const running = await untilState(jobId, 'RUNNING');
    const [dark, other] = running.attempts[0]!.cluster === 'fenceA' ? ['fenceA', 'fenceB'] : ['fenceB', 'fenceA'];
    const sim = sims[dark!]!;
    // Livy's batch API stops answering (the app runs on). Past the main worker's 2 s bound the wait gives up.
    sim.setFaults({ dropRate: 1 });
    await untilHistory(jobId, (h) => activitiesScheduled(h).includes('killBatch'), 'the fence of attempt 1');
    // Livy answers again after two of the fence's tries (at 0 and 1 s); the third (at 3 s) kills attempt 1 by name.
    await new Promise((r) => setTimeout(r, 2500));
    sim.setFaults({ dropRate: 0 });
    await untilHistory(jobId, (h) => activitiesCompleted(h).includes('killBatch'), 'attempt 1 killed');
    // Then it stops answering again, so attempt 2 is routed to the pool's other cluster. (On the same cluster, within a
    // minute, attempt 2's wait would give up at once today: the worker's BatchWatcher keeps that Livy's failure streak
    // until it polls it again, it polls only while a job waits, and the wait judges the outage by that streak.)
    sim.setFaults({ dropRate: 1 });
    const second = await untilStatus(jobId, (s) => s.attempts[1]?.batchState === 'running', 'attempt 2 running');
    expect(second.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED', fence: 'killed' });
    expect(second.attempts[1]!.cluster).toBe(other);
    expect(second.lastError).toMatchObject({ type: 'LivyUnreachable' });
    expect(sim.requests({ method: 'DELETE', name: `${jobId}-a1` }).filter((r) => r.status !== 0)).toHaveLength(1);
    expect(sims[other!]!.finish(`${jobId}-a2`, 'success')).toBe(true);
    const status = await ended(jobId);
    sim.setFaults({ dropRate: 0 });
    expect(status.attempts.map((a) => a.outcome)).toEqual(['INFRA_FAILED', 'SUCCEEDED']);
    const h = await history(jobId);
    expect(eventsOfType(h, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED), 'no sweeper').toHaveLength(0);
    await keep('unreachable-fenced', jobId);
  });

  it('fence-found-succeeded', async () => {
    const sim = sims.fencedOk!;
    const jobId = await submit(onCluster('fencedOk', 'fenced-ok', { 'shale.sim.durationMs': FOREVER }));
    await untilState(jobId, 'RUNNING');
    // In one tick: Livy stops answering, and the batch succeeds where no one can see it.
    sim.setFaults({ dropRate: 1 });
    expect(sim.finish(`${jobId}-a1`, 'success')).toBe(true);
    await untilHistory(jobId, (h) => activitiesScheduled(h).includes('killBatch'), 'the fence of attempt 1');
    sim.setFaults({ dropRate: 0 });
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED', batchState: 'success', fence: 'ended success' }] });
    expect(status.attempts).toHaveLength(1);
    expect(sim.requests({ method: 'DELETE', name: `${jobId}-a1` })).toHaveLength(0);
    await keep('fence-found-succeeded', jobId);
  });

  it('sweeper', async () => {
    const jobId = await submit(simSpec('swept', { 'shale.sim.durationMs': FOREVER }, { route: { pool: 'sweep' } }));
    const running = await untilState(jobId, 'RUNNING');
    const [dark, other] = running.attempts[0]!.cluster === 'sweepA' ? ['sweepA', 'sweepB'] : ['sweepB', 'sweepA'];
    // The cluster's Livy stops answering for longer than the fence's kill is retried (five tries, ~15 s); its app runs on.
    sims[dark!]!.setFaults({ dropRate: 1 });
    await untilHistory(jobId, (h) => eventsOfType(h, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED).length > 0, 'the sweeper to start', stack, 90_000);
    const moved = await untilStatus(jobId, (s) => s.attempts[1]?.batchState === 'running', 'attempt 2 running elsewhere', stack, 60_000);
    expect(moved.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED', fence: 'sweeper' });
    expect(moved.attempts[1]!.cluster).toBe(other);
    // Livy answers again: the sweeper's next try kills attempt 1 by name.
    sims[dark!]!.setFaults({ dropRate: 0 });
    const sweeper = stack.client.temporal.workflow.getHandle(`${jobId}-sweep-a1`);
    expect(await sweeper.result()).toMatchObject({ stateBefore: 'running', deleted: true });
    expect(sims[dark!]!.requests({ method: 'DELETE', name: `${jobId}-a1` }).filter((r) => r.status !== 0)).toHaveLength(1);
    expect(sims[other!]!.finish(`${jobId}-a2`, 'success')).toBe(true);
    const status = await ended(jobId);
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts.map((a) => a.outcome)).toEqual(['INFRA_FAILED', 'SUCCEEDED']);
    await keep('sweeper', jobId);
    expect(recorded.sweeper!.map((r) => r.file)).toEqual(['sweeper.json', 'sweeper.sweep-a1.json']);
  });

  it('submit-outage', async () => {
    const sim = sims.outage!;
    // Routing probes Livy (GET /batches) and keeps the answer for a few seconds; the moment the probe is answered,
    // Livy starts dropping every connection, before the submit activity's first request (workflow and activity
    // tasks lie between the two).
    const probed = untilRequest(sim, (r) => r.method === 'GET' && r.path === '/batches');
    const submitted = submit(onCluster('outage', 'outage'), quiet);
    await probed;
    sim.setFaults({ dropRate: 1 });
    const jobId = await submitted;
    const name = `${jobId}-a1`;
    await vi.waitFor(() => expect(sim.requests({ name }).filter((r) => r.status === 0).length).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 20 });
    sim.setFaults({ dropRate: 0 });
    const status = await ended(jobId, quiet);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED', cluster: 'outage' }] });
    expect(status.attempts).toHaveLength(1);
    expect(sim.requests({ method: 'POST', name }).map((r) => r.status)).toEqual([201]);
    const h = await history(jobId, quiet);
    expect(activityAttempts(h, 'submitBatch'), 'the submit activity was retried through the outage').toEqual([expect.any(Number)]);
    expect(activityAttempts(h, 'submitBatch')[0]).toBeGreaterThanOrEqual(3);
    await keep('submit-outage', jobId, quiet);
  });

  it('capacity-backpressure', async () => {
    const sim = sims.busy!;
    const blocker = await occupy(sim);
    const jobId = await submit(onCluster('busy', 'waits-for-room', {}, { retry: { initialBackoff: 1, maxBackoff: 1 }, timeouts: { queue: 120 } }));
    const name = `${jobId}-a1`;
    await vi.waitFor(() => expect(sim.requests({ method: 'POST', name }).length).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 50 });
    const waiting = await untilState(jobId, 'QUEUED');
    expect(waiting.attempts).toHaveLength(1);
    expect(waiting.budgets.infraFailures).toBe(0);
    expect(sim.finish(blocker, 'success')).toBe(true);
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED' }], budgets: { infraFailures: 0 } });
    expect(status.attempts).toHaveLength(1);
    const posts = sim.requests({ method: 'POST', name }).map((r) => r.status);
    expect(posts.filter((s) => s === 201)).toHaveLength(1);
    expect(posts.filter((s) => s === 400).length).toBeGreaterThanOrEqual(2);
    await keep('capacity-backpressure', jobId);
  });

  it('capacity-queue-timeout', async () => {
    const sim = sims.full!;
    await occupy(sim);
    const jobId = await submit(onCluster('full', 'no-room-in-time', {}, { retry: { initialBackoff: 1, maxBackoff: 1 }, timeouts: { queue: 4 } }));
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'TIMED_OUT', lastError: { type: 'QueueTimeout' } });
    const posts = sim.requests({ method: 'POST', name: `${jobId}-a1` }).map((r) => r.status);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.every((s) => s === 400)).toBe(true);
    await keep('capacity-queue-timeout', jobId);
  });

  it('policy-refused', async () => {
    const jobId = await submit(onCluster('main', 'keytab', { 'spark.kerberos.keytab': '/etc/security/app.keytab' }));
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'FAILED', lastError: { type: 'PolicyViolation' }, attempts: [] });
    expect(status.lastError!.message).toMatch(/spark\.kerberos\.keytab/);
    expect(activitiesScheduled(await history(jobId))).toEqual(['validateJob']);
    expect(sims.main!.requests({ name: `${jobId}-a1` })).toEqual([]);
    await keep('policy-refused', jobId);
  });

  it('hostile-signal-then-cancel', async () => {
    const jobId = await submit(onCluster('main', 'hostile', { 'shale.sim.durationMs': FOREVER }));
    await untilState(jobId, 'RUNNING');
    const handle = await handleOf(jobId);
    // A malformed cancel signal is ignored with a log line; the job goes on.
    await handle.signal(cancelSignal, { reason: 5 } as unknown as CancelArgs);
    await waitUntilRequestsHandled(handle);
    // A malformed Update is refused by its validator: nothing is written to the history.
    await expect(handle.executeUpdate(requestCancelUpdate, { args: [{ reason: 5 } as unknown as CancelArgs] })).rejects.toThrow();
    const still = await stack.client.status(jobId);
    expect(still.state).toBe('RUNNING');
    expect(still.cancel).toBeUndefined();
    await requestCancel(handle, 'signal', alice);
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'CANCELLED', cancel: expectedCancelRecord('signal', alice) });
    const h = await history(jobId);
    expect(eventsOfType(h, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(2);
    expect(eventsOfType(h, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(0);
    expect(sims.main!.requests({ method: 'DELETE', name: `${jobId}-a1` })).toHaveLength(1);
    await keep('hostile-signal-then-cancel', jobId);
  });

  it('cancel-retried-same-request', async () => {
    // Livy answers a little late, so the kill takes a moment and the job is still open for the retry.
    const jobId = await submit(onCluster('slowApi', 'cancel-retried', { 'shale.sim.durationMs': FOREVER }));
    await untilState(jobId, 'RUNNING');
    const handle = await handleOf(jobId);
    const request: CancelArgs = { ...alice, requestId: `recorder-${jobId}` };
    const first = await handle.executeUpdate(requestCancelUpdate, { args: [request], updateId: `${jobId}-cancel-1` });
    const retried = await handle.executeUpdate(requestCancelUpdate, { args: [request], updateId: `${jobId}-cancel-2` });
    expect(first).toMatchObject({ accepted: true, state: 'RUNNING' });
    expect(retried).toEqual(first);
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'CANCELLED', cancel: { ...expectedCancelRecord('update', alice), requestId: request.requestId } });
    expect(eventsOfType(await history(jobId), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(2);
    expect(sims.slowApi!.requests({ method: 'DELETE', name: `${jobId}-a1` })).toHaveLength(1);
    await keep('cancel-retried-same-request', jobId);
  });

  it('read-job-log', async () => {
    const jobId = await submit(onCluster('main', 'logged', { 'shale.sim.logLines': '30' }));
    expect((await ended(jobId)).state).toBe('SUCCEEDED');
    const readId = `${jobId}-log-recorder`;
    const read = await readJobLog(readId, { cluster: 'main', batchName: `${jobId}-a1`, size: 5 });
    expect(read.found).toBe(true);
    expect(read.lines.length).toBeGreaterThan(0);
    expect(sims.main!.requests({ method: 'GET', name: `${jobId}-a1` }).some((r) => r.path.endsWith('/log'))).toBe(true);
    await keep('read-job-log', readId);
  });

  it('read-job-log-invalid', async () => {
    const readId = `record-log-invalid-${process.pid}-${Date.now().toString(36)}`;
    const failure = await failureOf(readJobLog(readId, { cluster: 'main', batchName: 'not-an-attempt' }));
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(activitiesScheduled(await history(readId))).toEqual([]);
    await keep('read-job-log-invalid', readId);
  });

  it('read-job-log-failed', async () => {
    const readId = `record-log-failed-${process.pid}-${Date.now().toString(36)}`;
    const failure = await failureOf(readJobLog(readId, { cluster: 'no-such-cluster', batchName: 'recorder-nowhere-a1' }));
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(ActivityFailure);
    expect(((failure as WorkflowFailedError).cause as ActivityFailure).cause).toMatchObject({ type: 'UnknownCluster' });
    await keep('read-job-log-failed', readId);
  });

  it('invalid-input', async () => {
    const spec = normalized(onCluster('main', 'forged'));
    const jobId = await startRaw('forged', (id) => ({
      jobId: id,
      spec,
      fingerprint: specFingerprint(spec),
      resume: { status: { jobId: id } as JobStatus, tracking: { ref: { cluster: 'main', batchName: `${id}-a1` }, knownState: 'running' } },
    }));
    const failure = await failureOf(stack.client.temporal.workflow.getHandle(jobId).result());
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidSpec' });
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).message).toMatch(/resume/);
    expect(activitiesScheduled(await history(jobId))).toEqual([]);
    await keep('invalid-input', jobId);
  });

  it('no-matching-cluster', async () => {
    const jobId = await submit(simSpec('nowhere', {}, { route: { pool: 'does-not-exist' } }));
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'FAILED', lastError: { type: 'NoMatchingCluster' }, attempts: [] });
    expect(eventsOfType(await history(jobId), EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED).length).toBeGreaterThan(0);
    await keep('no-matching-cluster', jobId);
  });

  it('submit-rejected', async () => {
    // The simulator refuses a shale.sim.* value it cannot read with a 400, as Livy refuses a bad conf.
    const jobId = await submit(onCluster('main', 'refused', { 'shale.sim.durationMs': 'soon' }));
    const status = await ended(jobId);
    expect(status.state).toBe('FAILED');
    expect(sims.main!.requests({ method: 'POST', name: `${jobId}-a1` }).map((r) => r.status)).toEqual([400]);
    expect(eventsOfType(await history(jobId), EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED).length).toBeGreaterThan(0);
    await keep('submit-rejected', jobId);
  });

  it('invalid-spec', async () => {
    const jobId = await startRaw('invalid', (id) => ({ jobId: id, spec: { name: 'no team, no file' } as SparkJobInput['spec'], fingerprint: 'not-a-fingerprint' }));
    const failure = await stack.client.temporal.workflow.getHandle(jobId).result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('InvalidSpec');
    expect(activitiesScheduled(await history(jobId)), 'validated in its first activity').toEqual(['validateJob']);
    await keep('invalid-spec', jobId);
  });
});

/** Drives a job to `moment` and returns it, with what else the moment needs afterwards. */
async function jobAt(moment: CancelMoment, via: CancelVia): Promise<{ jobId: string; on: E2EStack; sim: LivySimulator }> {
  const name = `cancel-${moment}-${via}`;
  switch (moment) {
    case 'queued': {
      const jobId = await submit(onCluster('down', name));
      // Routing finds no healthy cluster and Temporal retries it: the job waits in QUEUED.
      await vi.waitFor(async () => expect(activitiesScheduled(await history(jobId)).length).toBeGreaterThan(0), { timeout: 20_000, interval: 50 });
      await untilState(jobId, 'QUEUED');
      return { jobId, on: stack, sim: sims.down! };
    }
    case 'submitting': {
      const jobId = await submit(onCluster('slowPost', name, { 'shale.sim.startingMs': FOREVER }));
      await vi.waitFor(() => expect(sims.slowPost!.requests({ method: 'POST', name: `${jobId}-a1` })).toHaveLength(1), { timeout: 20_000, interval: 20 });
      await untilState(jobId, 'SUBMITTING');
      return { jobId, on: stack, sim: sims.slowPost! };
    }
    case 'starting': {
      const jobId = await submit(onCluster('main', name, { 'shale.sim.startingMs': FOREVER }));
      await untilState(jobId, 'STARTING');
      return { jobId, on: stack, sim: sims.main! };
    }
    case 'running':
    case 'twice': {
      const cluster = moment === 'twice' ? 'slowApi' : 'main';
      const jobId = await submit(onCluster(cluster, name, { 'shale.sim.durationMs': FOREVER }));
      await untilState(jobId, 'RUNNING');
      return { jobId, on: stack, sim: sims[cluster]! };
    }
    case 'retrying': {
      const jobId = await submit(onCluster('main', name, { 'shale.sim.outcomes': 'dead,success' }, { retry: { initialBackoff: 600, maxBackoff: 600 } }));
      await untilState(jobId, 'RETRYING');
      return { jobId, on: stack, sim: sims.main! };
    }
    case 'batch-ended': {
      const jobId = await submit(onCluster('quiet', name, { 'shale.sim.durationMs': FOREVER }), quiet);
      await untilState(jobId, 'RUNNING', quiet);
      return { jobId, on: quiet, sim: sims.quiet! };
    }
  }
}

describe.concurrent.each(Object.keys(CANCEL_MOMENTS) as CancelMoment[])('cancel %s', (moment) => {
  it.each(CANCEL_PATHS)(`via %s`, async (via) => {
    const path = cancelPathName(moment, via);
    const { jobId, on, sim } = await jobAt(moment, via);
    const handle = await handleOf(jobId, on);
    if (moment === 'batch-ended') {
      // The batch succeeds just before the cancel, unseen by a worker that looks every 4 s.
      expect(sim.finish(`${jobId}-a1`, 'success')).toBe(true);
    }
    if (moment === 'twice') {
      await requestCancel(handle, 'update', alice);
      const second = await requestCancel(handle, via, bob);
      if (via === 'update') expect(second).toMatchObject({ accepted: false });
    } else {
      await requestCancel(handle, via, alice);
    }
    const status = await ended(jobId, on);
    const events = (await history(jobId, on)).events ?? [];
    if (moment === 'batch-ended') {
      expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED' }] });
      expect(status.cancel).toMatchObject(expectedCancelRecord(via, alice, stack.client.identity));
    } else if (moment === 'twice') {
      expect(status.state).toBe('CANCELLED');
      expect(status.cancel).toMatchObject(expectedCancelRecord('update', alice));
      const secondRequest = {
        signal: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        update: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        'workflow-cancel': EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
      }[via];
      const updates = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length;
      expect(events.filter((e) => e.eventType === secondRequest).length, 'the second cancel is in the history').toBe(via === 'update' ? 2 : 1);
      expect(updates).toBeGreaterThanOrEqual(1);
    } else {
      expect(status.state).toBe('CANCELLED');
      expect(status.cancel).toMatchObject(expectedCancelRecord(via, alice, stack.client.identity));
      const posts = sim.requests({ method: 'POST', name: `${jobId}-a1` }).length;
      // A cancel DELETEs only what was POSTed (and is still live).
      expect(sim.requests({ method: 'DELETE', name: `${jobId}-a1` }).length).toBe(moment === 'queued' || moment === 'retrying' ? 0 : posts);
    }
    await keep(path, jobId, on);
  });
});
