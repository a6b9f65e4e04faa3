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
import { ApplicationFailure } from '@temporalio/common';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { parseJobSpec, specFingerprint, WORKFLOW_TYPE, type CancelVia, type JobState, type JobStatus, type SparkJobInput } from '../../contract';
import type { sparkJob } from '../../workflows';
import { buildIdOf, setCurrentVersion, workflowSourceFingerprint } from '../../worker/versioning';
import { CANCEL_PATHS, expectedCancelRecord, requestCancel, type Canceller } from '../support/cancelPaths';
import { createCluster, emrClient, terminateCluster } from '../support/emr';
import { saveJobHistories } from '../support/histories';
import { activitiesScheduled, EventType, eventsOfType, type History } from '../support/history';
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
/** A second worker that looks at Livy only every 4 s: a batch can end unseen before a cancel. */
let quiet: E2EStack;
let emr: EMRClient;
const sims: Record<string, LivySimulator> = {};
const emrIds: Record<string, string> = {};

const FOREVER = '600000';
const alice: Canceller = { requestedBy: 'alice@analytics', reason: 'wrong input date' };
const bob: Canceller = { requestedBy: 'bob@analytics', reason: 'duplicate run' };

beforeAll(async () => {
  const inPlace = await readCorpus(join(HISTORIES_ROOT, release)).catch(() => undefined);
  if (inPlace?.manifest.shipped && inPlace.manifest.workflowSource.hash !== fingerprint.hash) {
    throw new Error(`release ${release} has shipped (its manifest says so): bump package.json's version to record build ${buildId}`);
  }
  await rm(STAGE, { recursive: true, force: true });
  for (const name of ['main', 'slowPost', 'lost', 'adopt', 'down', 'slowApi', 'quiet', 'etlA', 'etlB', 'solo']) {
    sims[name] = await startLivySimulator({ name, startingMs: 100, defaultDurationMs: 500 });
  }
  // The POST's answer comes after the worker's 1 s request timeout: the submit activity retries and finds the batch by name.
  sims.slowPost!.setFaults({ postAnswerDelayMs: 2500 });
  // Every answer a little late: a cancel's kill takes a moment, long enough for a second cancel to arrive.
  sims.slowApi!.setFaults({ latencyMs: 300 });
  // A cluster that never answers: nothing can take a job routed to it.
  await sims.down!.stop();
  emr = emrClient();
  const tags = { 'shale:test-run': `record-${process.pid}-${Date.now()}` };
  emrIds.etlA = await createCluster(emr, { name: 'etl-a', releaseLabel: 'emr-6.15.0', livyUrl: sims.etlA!.url, pool: 'etl', tags });
  emrIds.etlB = await createCluster(emr, { name: 'etl-b', releaseLabel: 'emr-7.2.0', livyUrl: sims.etlB!.url, pool: 'etl', tags });
  emrIds.solo = await createCluster(emr, { name: 'solo', releaseLabel: 'emr-6.15.0', livyUrl: sims.solo!.url, pool: 'solo', tags });
  const staticClusters = ['main', 'slowPost', 'lost', 'adopt', 'down', 'slowApi'].map((id) => ({ id, livyUrl: sims[id]!.url, sparkVersion: '3' as const }));
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
  quiet = await startStack(
    'record-quiet',
    {
      clusters: [{ id: 'quiet', livyUrl: sims.quiet!.url, sparkVersion: '3' }],
      livy: { pollIntervalMs: 4000, requestTimeoutMs: 1000, failoverAfterUnreachableSeconds: 2 },
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

/** Keeps the job's histories once it has gone the way the path says; every workflow task must be this build's. */
async function keep(path: string, jobId: string, on: E2EStack = stack): Promise<void> {
  const runs = await saveJobHistories(on.client.temporal, jobId, STAGE, path);
  for (const r of runs) {
    const recordedRun = parseHistory(await readFile(join(STAGE, r.file), 'utf8'));
    expect([...buildIdsOf(recordedRun)], `${path}: workflow tasks completed by another build`).toEqual([buildId]);
  }
  recorded[path] = runs;
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
    const jobId = await submit(onCluster('slowPost', 'slow-answer'));
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ adopted: true, outcome: 'SUCCEEDED' }] });
    expect(sims.slowPost!.requests({ method: 'POST', name: `${jobId}-a1` })).toHaveLength(1);
    await keep('submit-retried', jobId);
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

  it('reconcile-adopt', async () => {
    const sim = sims.adopt!;
    // Someone else's batch first, so ours does not get id 0 (which the one recovered below takes).
    const other = await postBatch(sim, { file: 's3://other/app.py', name: 'other-team-batch', conf: { 'shale.sim.durationMs': FOREVER } });
    expect(other.status).toBe(201);
    const jobId = await submit(onCluster('adopt', 'adopt', { 'shale.sim.durationMs': FOREVER }));
    const before = await untilState(jobId, 'RUNNING');
    await sim.restart({ keepState: false });
    // Livy comes back with our batch under a new id (as after a recovery into a fresh id space).
    const recovered = await postBatch(sim, { file: 's3://shale-e2e/jobs/app.py', name: `${jobId}-a1`, conf: { 'shale.sim.durationMs': FOREVER } });
    expect(recovered.status).toBe(201);
    const newId = (recovered.body as { id: number }).id;
    expect(newId).not.toBe(before.attempts[0]!.batchId);
    await untilStatus(jobId, (s) => s.attempts[0]?.batchId === newId, 'the batch adopted under its new id');
    expect(sim.finish(`${jobId}-a1`, 'success')).toBe(true);
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempts: [{ outcome: 'SUCCEEDED', batchId: newId }] });
    expect(activitiesScheduled(await history(jobId))).toContain('reconcileBatch');
    await keep('reconcile-adopt', jobId);
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
    await sims[lost!]!.stop();
    await terminateCluster(emr, emrIds[lost!]!);
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
    await sims.solo!.stop();
    await terminateCluster(emr, emrIds.solo!);
    const status = await ended(jobId);
    expect(status).toMatchObject({ state: 'FAILED', lastError: { type: 'ClusterLost' } });
    await keep('cluster-lost', jobId);
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
      expect(status.cancel).toMatchObject(expectedCancelRecord(via, alice));
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
      expect(status.cancel).toMatchObject(expectedCancelRecord(via, alice));
      const posts = sim.requests({ method: 'POST', name: `${jobId}-a1` }).length;
      // A cancel DELETEs only what was POSTed (and is still live).
      expect(sim.requests({ method: 'DELETE', name: `${jobId}-a1` }).length).toBe(moment === 'queued' || moment === 'retrying' ? 0 : posts);
    }
    await keep(path, jobId, on);
  });
});
