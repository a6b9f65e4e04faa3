/**
 * Logs reach operators through the worker (issue 9, item 7): `shale logs` starts the readJobLog
 * workflow on the job's task queue; a worker reads Livy with its own URL and credential and
 * answers with the lines. Run against the run's dev server, a real worker (the workflow bundle and
 * the log activity) and the Livy simulator.
 */
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { StaticClusters } from '../../activities/clusters/cluster';
import { LivyClients } from '../../activities/livy/client';
import { createLogActivities } from '../../activities/logActivities';
import { followLog, readLog, READ_JOB_LOG_WORKFLOW, type LogChunk } from '../../client/logs';
import type { JobState, JobStatus } from '../../contract';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim/index';
import { uniqueTaskQueue, workflowBundle } from '../support/workflowEnv';

const SECRET = 'Basic bG9nLXJlYWRlcjpzM2NyM3Q=';
const CLUSTER = 'emr6-spark3';

let sim: LivySimulator;
let livy: LivyClients;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let clientConnection: Connection;
let client: Client;
/** What `shale logs` holds: a ShaleClient's Temporal client, and no Livy URL or credential. */
let reader: { temporal: Client };
let taskQueue: string;

/** The failures this file provokes on purpose (an unknown cluster, refused input) are not news. */
function isProvoked(entry: LogEntry): boolean {
  const meta = entry.meta ?? {};
  if (entry.message === 'Activity failed') return meta.activityType === 'readBatchLog' && meta.error instanceof ApplicationFailure;
  return entry.message === 'Workflow failed' && meta.workflowType === READ_JOB_LOG_WORKFLOW;
}

beforeAll(async () => {
  // This file's own process (vitest forks): warnings reach stderr unless this file provoked them.
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (!isProvoked(entry)) process.stderr.write(`[${entry.level}] ${entry.message} ${JSON.stringify(entry.meta ?? {})}\n`);
    }),
  });
  const address = inject('temporalAddress');
  taskQueue = uniqueTaskQueue('job-log');
  sim = await startLivySimulator({ name: 'spark3', csrf: true, startingMs: 20 });
  livy = new LivyClients({ authHeader: { name: 'Authorization', value: SECRET }, requestTimeoutMs: 2_000 });
  connection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createLogActivities({ clusters: new StaticClusters([{ id: CLUSTER, livyUrl: sim.url, tags: {} }]), livy }),
  });
  running = worker.run();
  clientConnection = await Connection.connect({ address });
  client = new Client({ connection: clientConnection, namespace: inject('temporalNamespace') });
  reader = { temporal: client };
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await clientConnection?.close();
  await livy?.close();
  await sim?.close();
});

let jobCounter = 0;

/**
 * A job ID with an execution behind it on the worker's task queue (what `shale logs` asks the
 * server for): a finished readJobLog run stands in for the job, whose own workflow needs the full
 * Shale worker.
 */
async function jobOnTaskQueue(): Promise<string> {
  const jobId = `logs-job${++jobCounter}-${Date.now().toString(36)}`;
  await client.workflow.execute(READ_JOB_LOG_WORKFLOW, { taskQueue, workflowId: jobId, args: [{ cluster: CLUSTER, batchName: `${jobId}-a9` }] });
  return jobId;
}

function statusOf(jobId: string, state: JobState, logTail: string[] = [], cluster = CLUSTER): JobStatus {
  return {
    jobId,
    state,
    attempts: [{ n: 1, batchName: `${jobId}-a1`, cluster, livyUrl: 'http://not-used-by-the-client.invalid:8998' }],
    logTail,
  } as unknown as JobStatus;
}

async function submit(name: string, conf: Record<string, string>): Promise<void> {
  await livy.for(sim.url).createBatch({ name, file: 's3://b/app.py', conf });
}

describe('shale logs through the worker', () => {
  it('reads Livy\'s log through a worker: the worker sends its credential to its own Livy, the client never talks to Livy', async () => {
    const jobId = await jobOnTaskQueue();
    await submit(`${jobId}-a1`, { 'shale.sim.durationMs': '0', 'shale.sim.logLines': '30' });
    await vi.waitFor(async () => expect((await livy.for(sim.url).getBatch(`${jobId}-a1`)).state).toBe('success'), { timeout: 5_000, interval: 20 });
    sim.clearRequests();

    const chunk = await readLog(reader, statusOf(jobId, 'SUCCEEDED'), { lines: 5 });
    expect(chunk).toEqual({ source: 'livy', attempt: 1, lines: [27, 28, 29, 30].map((n) => `line ${n} of ${jobId}-a1`) });
    // one read, by name, with the worker's credential; nothing from anywhere else
    expect(sim.requests()).toEqual([expect.objectContaining({ method: 'GET', path: `/batches/${jobId}-a1/log`, hasAuth: true })]);
    // and the workflow's history carries neither Livy's URL nor the credential
    const runs: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowType = '${READ_JOB_LOG_WORKFLOW}' AND TaskQueue = '${taskQueue}'` })) runs.push(wf.workflowId);
    for (const id of runs.filter((id) => id.startsWith(`${jobId}-log-`))) {
      const history = JSON.stringify(await client.workflow.getHandle(id).fetchHistory());
      expect(history).not.toContain(sim.url.replace('http://', ''));
      expect(history).not.toContain('bG9nLXJlYWRlcjpzM2NyM3Q');
    }
  });

  it('--follow shows every line of a 400-line log once, although Livy keeps 200, and no marker', async () => {
    const jobId = await jobOnTaskQueue();
    const name = `${jobId}-a1`;
    await submit(name, { 'shale.sim.durationMs': '4000', 'shale.sim.logLines': '400' });
    const chunks: LogChunk[] = [];
    const fetchStatus = async (): Promise<JobStatus> => {
      const state = (await livy.for(sim.url).getBatch(name)).state;
      return statusOf(jobId, state === 'success' ? 'SUCCEEDED' : 'RUNNING');
    };
    const final = await followLog(reader, fetchStatus, {}, (chunk) => chunks.push(chunk), 50);
    expect(final.state).toBe('SUCCEEDED');
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.source === 'livy' && c.attempt === 1)).toBe(true);
    expect(chunks.flatMap((c) => c.lines)).toEqual(Array.from({ length: 400 }, (_, i) => `line ${i + 1} of ${name}`));
  });

  it('once Livy forgets the batch: the tail Shale kept, joined to what was already shown', async () => {
    const jobId = await jobOnTaskQueue();
    const name = `${jobId}-a1`;
    await submit(name, { 'shale.sim.durationMs': '0', 'shale.sim.logLines': '12' });
    await vi.waitFor(async () => expect((await livy.for(sim.url).getBatch(name)).state).toBe('success'), { timeout: 5_000, interval: 20 });
    const kept = [8, 9, 10, 11, 12].map((n) => `line ${n} of ${name}`);
    let forgotten = false;
    const chunks: LogChunk[] = [];
    const statuses = async (): Promise<JobStatus> => {
      if (chunks.length > 0 && !forgotten) {
        await livy.for(sim.url).deleteBatch(name);
        forgotten = true;
      }
      return statusOf(jobId, forgotten ? 'SUCCEEDED' : 'RUNNING', [...kept, 'the end']);
    };
    await followLog(reader, statuses, {}, (chunk) => chunks.push(chunk), 10);
    expect(chunks).toEqual([
      { source: 'livy', attempt: 1, lines: Array.from({ length: 12 }, (_, i) => `line ${i + 1} of ${name}`) },
      { source: 'shale', attempt: 1, lines: ['the end'] },
    ]);
    expect(await readLog(reader, statusOf(jobId, 'SUCCEEDED', kept))).toEqual({ source: 'shale', attempt: 1, lines: kept });
  });

  it('a cluster the worker does not know: Shale\'s tail, with the worker\'s reason', async () => {
    const jobId = await jobOnTaskQueue();
    const chunk = await readLog(reader, statusOf(jobId, 'FAILED', ['kept'], 'no-such-cluster'));
    expect(chunk).toMatchObject({ source: 'shale', attempt: 1, lines: ['kept'] });
    expect(chunk!.note).toMatch(/Livy's log could not be read through a worker/);
  });

  it('readJobLog refuses input that is not a Shale attempt on a cluster, before any activity runs', async () => {
    for (const input of [{ cluster: CLUSTER, batchName: '12345' }, { cluster: CLUSTER, batchName: 'not-an-attempt' }, { cluster: CLUSTER, batchName: 'j-a1', size: 5000 }, { cluster: CLUSTER, batchName: 'j-a1', livyUrl: 'http://evil' }, 'j-a1']) {
      sim.clearRequests();
      const err = await client.workflow
        .execute(READ_JOB_LOG_WORKFLOW, { taskQueue, workflowId: `bad-log-input-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`, args: [input] })
        .then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
      expect(sim.requests()).toEqual([]);
    }
  });
});
