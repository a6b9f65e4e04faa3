/**
 * Worker Versioning on the dev server (README "Shipping workflow changes"), with real Shale workers
 * made Worker Deployment versions by worker/versioning.ts: a job stays on the build that started it
 * (through continue-as-new) while another build becomes current and takes the new jobs; a job can
 * be moved on purpose (the hot-fix path); and an unversioned job (a 0.1.0 one) is taken by whichever
 * build is made current, which is why the first versioned release starts on a new task queue.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { parseJobSpec, specFingerprint, WORKFLOW_TYPE, type JobStatus } from '../../contract';
import { ShaleClient } from '../../client/shaleClient';
import { fetchJobHistories } from '../../client/audit';
import { parseWorkerConfig } from '../../worker/config';
import { createShaleWorker, type ShaleWorker } from '../../worker/createWorker';
import { setCurrentVersion, type VersioningMode } from '../../worker/versioning';
import { buildIdsOf } from '../replay/corpus';
import { simSpec } from '../support/stack';
import { installQuietRuntime, uniqueTaskQueue, workflowBundle } from '../support/workflowEnv';

const NAMESPACE = inject('temporalNamespace');
const FOREVER = '600000';
const deploymentName = `shale-e2e-versioning-${process.pid}`;
const A = 'build-a';
const B = 'build-b';

let address: string;
let taskQueue: string;
let livy: LivySimulator;
let connection: Connection;
let client: ShaleClient;
const workers: { shale: ShaleWorker; running: Promise<void>; native: NativeConnection }[] = [];

async function startWorker(mode: VersioningMode, buildId: string): Promise<void> {
  const config = parseWorkerConfig({
    temporal: { address, namespace: NAMESPACE, taskQueue },
    clusters: [{ id: 'emr6-spark3', livyUrl: livy.url, sparkVersion: '3' }],
    livy: { pollIntervalMs: 100, requestTimeoutMs: 1000, failoverAfterUnreachableSeconds: 2 },
    worker: { heartbeatIntervalMs: 1000, shutdownGraceSeconds: 2 },
  });
  const env = { ...process.env, SHALE_WORKER_VERSIONING: mode, SHALE_DEPLOYMENT_NAME: deploymentName, SHALE_BUILD_ID: buildId };
  // A connection per worker, as separate processes would have.
  const native = await NativeConnection.connect({ address });
  const shale = await createShaleWorker(config, { connection: native, workflowBundle: await workflowBundle(), identity: `${buildId}@${taskQueue}`, env });
  const version = shale.worker.options.workerDeploymentOptions?.version;
  expect(version, 'createShaleWorker must spread (await workerVersioning({ env })).workerOptions into Worker.create').toEqual(
    mode === 'off' ? undefined : { deploymentName, buildId },
  );
  workers.push({ shale, running: shale.run(), native });
}

const makeCurrent = (buildId: string) => setCurrentVersion(connection, { namespace: NAMESPACE, deploymentName, buildId }, { identity: 'e2e' });

async function untilStatus(jobId: string, accept: (s: JobStatus) => boolean, what: string): Promise<JobStatus> {
  return vi.waitFor(
    async () => {
      const status = await client.status(jobId);
      if (!accept(status)) throw new Error(`${jobId}: waiting for ${what}; it is ${status.state}`);
      return status;
    },
    { timeout: 30_000, interval: 50 },
  );
}

const running = (jobId: string) => untilStatus(jobId, (s) => s.state === 'RUNNING', 'RUNNING');

async function longJob(name: string): Promise<string> {
  const { jobId } = await client.submit(simSpec(name, { 'shale.sim.durationMs': FOREVER }));
  await running(jobId);
  return jobId;
}

/** The build each workflow task of every run was completed by ('' = unversioned), in order. */
async function buildsOf(jobId: string): Promise<string[][]> {
  const runs = await fetchJobHistories(client.temporal, jobId);
  return runs.map(({ history }) =>
    (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => [...buildIdsOf({ events: [e] })][0]!),
  );
}

async function pinnedTo(jobId: string): Promise<{ behavior: string | undefined; buildId: string | undefined }> {
  const info = (await client.temporal.workflow.getHandle(jobId).describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { behavior: info?.behavior === 1 ? 'PINNED' : String(info?.behavior), buildId: info?.deploymentVersion?.buildId ?? undefined };
}

async function finishAndWait(jobId: string): Promise<JobStatus> {
  const status = await client.status(jobId);
  expect(livy.finish(status.attempts.at(-1)!.batchName, 'success')).toBe(true);
  return client.wait(jobId, { pollIntervalMs: 100 });
}

const jobs: Record<string, string> = {};
let bCurrentAt = 0;

beforeAll(async () => {
  // Activities fail on purpose here (lost batches, refusals): their ApplicationFailures are not printed.
  installQuietRuntime({ hideScriptedFailures: true });
  address = inject('temporalAddress');
  taskQueue = uniqueTaskQueue('e2e-versioning');
  livy = await startLivySimulator({ name: 'spark3', startingMs: 100, defaultDurationMs: 500 });
  connection = await Connection.connect({ address });
  client = await ShaleClient.connect({ connection, namespace: NAMESPACE, taskQueue, identity: 'e2e-tester@ci' });

  // A release before Worker Versioning: an unversioned worker and its running job.
  await startWorker('off', 'unversioned');
  jobs.unversioned = await longJob('from-0.1.0');

  // Build A arrives and is made current: it takes the new jobs.
  await startWorker('pinned', A);
  await makeCurrent(A);
  jobs.onA = await longJob('on-a');
  jobs.movedToB = await longJob('hot-fixed');
  const chainSpec = parseJobSpec(simSpec('chain-on-a', { 'shale.sim.durationMs': FOREVER }));
  if (!chainSpec.ok) throw new Error('simSpec is invalid');
  jobs.chain = `e2e-versioning-chain-${process.pid}-${Date.now().toString(36)}`;
  const input = { jobId: jobs.chain, spec: chainSpec.spec, fingerprint: specFingerprint(chainSpec.spec), options: { historyLimit: 12, trackWindowSeconds: 1 } };
  await client.temporal.workflow.start(WORKFLOW_TYPE, { workflowId: jobs.chain, taskQueue, args: [input] });
  await running(jobs.chain);

  // Build B arrives and is made current while A's jobs run.
  await startWorker('pinned', B);
  await makeCurrent(B);
  bCurrentAt = Date.now();
  jobs.onB = await longJob('on-b');
});

afterAll(async () => {
  for (const w of workers) w.shale.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await Promise.all(workers.map((w) => w.native.close()));
  await connection?.close();
  await livy?.close();
});

describe('Worker Versioning: jobs pinned to the build that started them', () => {
  it('a job started on build A stays on A after B becomes current; new jobs go to B', async () => {
    expect(await pinnedTo(jobs.onA!)).toEqual({ behavior: 'PINNED', buildId: A });
    expect(await pinnedTo(jobs.onB!)).toEqual({ behavior: 'PINNED', buildId: B });
    expect((await finishAndWait(jobs.onA!)).state).toBe('SUCCEEDED');
    expect((await finishAndWait(jobs.onB!)).state).toBe('SUCCEEDED');
    // Every workflow task, including those after B became current, ran on the job's own build.
    expect(new Set((await buildsOf(jobs.onA!)).flat())).toEqual(new Set([A]));
    expect(new Set((await buildsOf(jobs.onB!)).flat())).toEqual(new Set([B]));
  });

  it('continue-as-new keeps the job on its build (server 1.29 does not upgrade at continue-as-new)', async () => {
    // Wait for a run that began after B became current.
    await vi.waitFor(
      async () => {
        const runs = await fetchJobHistories(client.temporal, jobs.chain!);
        expect(tsToMs(runs.at(-1)!.history.events![0]!.eventTime)).toBeGreaterThan(bCurrentAt);
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(await pinnedTo(jobs.chain!)).toEqual({ behavior: 'PINNED', buildId: A });
    expect((await finishAndWait(jobs.chain!)).state).toBe('SUCCEEDED');
    const runs = await buildsOf(jobs.chain!);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.flat())).toEqual(new Set([A]));
  });

  it('the hot-fix path: `temporal workflow update-options` moves a running job to another build, which carries it on', async () => {
    // Operators find a build's running jobs by its version.
    const query = `TemporalWorkerDeploymentVersion = '${deploymentName}:${A}' AND ExecutionStatus = 'Running'`;
    await vi.waitFor(
      async () => {
        const found: string[] = [];
        for await (const w of client.temporal.workflow.list({ query })) found.push(w.workflowId);
        expect(found).toContain(jobs.movedToB);
      },
      { timeout: 20_000, interval: 250 },
    );
    await promisify(execFile)(inject('tools').temporal, [
      'workflow', 'update-options', '--address', address, '--namespace', NAMESPACE, '--workflow-id', jobs.movedToB!,
      '--versioning-override-behavior', 'pinned', '--versioning-override-deployment-name', deploymentName, '--versioning-override-build-id', B,
    ]);
    expect(await pinnedTo(jobs.movedToB!)).toMatchObject({ behavior: 'PINNED' });
    expect((await finishAndWait(jobs.movedToB!)).state).toBe('SUCCEEDED');
    const builds = (await buildsOf(jobs.movedToB!)).flat();
    expect(builds[0]).toBe(A);
    expect(builds.at(-1)).toBe(B);
  });

  it('an unversioned job (a release before versioning) is taken by the build made current, on its next task', async () => {
    expect((await finishAndWait(jobs.unversioned!)).state).toBe('SUCCEEDED');
    const builds = (await buildsOf(jobs.unversioned!)).flat();
    expect(builds[0]).toBe('');
    expect(builds.at(-1)).toBe(B);
  });
});
