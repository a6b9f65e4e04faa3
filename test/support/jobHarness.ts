/**
 * One job under test: a FakeCluster, a worker on its own task queue, and the sparkJob workflow
 * started on the time-skipping server. Starting does not wait for the result, so the server's
 * clock runs at real speed until the test awaits `result()` (then it skips timers).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { vi } from 'vitest';
import {
  parseJobSpec,
  specFingerprint,
  statusQuery,
  type JobSpec,
  type JobSpecInput,
  type JobState,
  type JobStatus,
  type SparkJobInput,
  type SparkJobOptions,
} from '../../contract';
import type { sparkJob } from '../../workflows';
import { jobOutcome } from '../../client/jobOutcome';
import { FAST, FakeCluster, virtualClock, type AttemptScript, type Clock } from './fakeActivities';
import { fakeWorker, uniqueTaskQueue } from './workflowEnv';

/** Started by the test, so it knows the first run's ID (runs follow by continue-as-new). */
export type JobHandle = WorkflowHandleWithFirstExecutionRunId<typeof sparkJob>;

export const baseSpec: JobSpecInput = { name: 'daily', team: 'analytics', kind: 'pyspark', file: 's3://b/app.py', retry: { initialBackoff: 10 } };

/** The normalized spec a client would hand to the workflow. */
export function normalizedSpec(overrides: Partial<JobSpecInput> = {}): JobSpec {
  const parsed = parseJobSpec({ ...baseSpec, ...overrides });
  if (!parsed.ok) throw new Error(`test spec is invalid: ${JSON.stringify(parsed.errors)}`);
  return parsed.spec;
}

export interface JobSetup {
  scripts: AttemptScript[];
  /** Merged over baseSpec and normalized, unless `input` replaces the workflow input outright. */
  spec?: Partial<JobSpecInput>;
  options?: SparkJobOptions;
  /** Batch time in the fake; FAST by default. */
  clock?: Clock;
  /** Adjusts the fake before the workflow starts (e.g. `c.healthy = false`). */
  configure?: (cluster: FakeCluster) => void;
  /** Raw workflow input (jobId is filled in), for specs the workflow must reject. */
  input?: (jobId: string) => SparkJobInput;
  prefix?: string;
  /** Runs after the workflow has started and before any worker polls its task queue. */
  beforeWorker?: (handle: JobHandle) => Promise<void>;
}

export interface JobUnderTest {
  jobId: string;
  cluster: FakeCluster;
  handle: JobHandle;
  /** The `status` query. */
  status(): Promise<JobStatus>;
  /** Polls the `status` query until `accept` holds (or the state is the one given). */
  waitForStatus(accept: JobState | ((s: JobStatus) => boolean), what?: string): Promise<JobStatus>;
  /**
   * Waits for the job's end, letting the server skip time meanwhile: the final status whichever way
   * the workflow ended (completed, failed with the status in its details, or Canceled).
   */
  result(): Promise<JobStatus>;
  history(): Promise<temporal.api.history.v1.IHistory>;
}

/** Starts the job with a worker running, hands it to `body`, and shuts the worker down afterwards. */
export async function withJob<T>(env: TestWorkflowEnvironment, setup: JobSetup, body: (job: JobUnderTest) => Promise<T>): Promise<T> {
  const cluster = new FakeCluster(setup.clock ?? virtualClock(FAST), setup.scripts);
  setup.configure?.(cluster);
  const taskQueue = uniqueTaskQueue(setup.prefix ?? 'job');
  const jobId = `job-${taskQueue}`;
  const input: SparkJobInput = setup.input?.(jobId) ?? inputFor(jobId, normalizedSpec(setup.spec), setup.options);
  const start = () => env.client.workflow.start<typeof sparkJob>('sparkJob', { taskQueue, workflowId: jobId, args: [input] });
  let started: JobHandle | undefined;
  if (setup.beforeWorker) {
    started = await start();
    await setup.beforeWorker(started);
  }
  const worker = await fakeWorker(env, taskQueue, cluster.activities());
  return worker.runUntil(async () => {
    const handle = started ?? (await start());
    const job: JobUnderTest = {
      jobId,
      cluster,
      handle,
      status: () => handle.query(statusQuery),
      waitForStatus: (accept, what) => waitForStatus(handle, accept, what),
      result: () => jobOutcome(handle.result(), async () => (await handle.describe()).memo),
      history: () => handle.fetchHistory(),
    };
    return body(job);
  });
}

/** Runs a job to its end and returns the result with the fake and the history. */
export async function runJob(env: TestWorkflowEnvironment, setup: JobSetup) {
  return withJob(env, setup, async (job) => {
    const status = await job.result();
    const history = await job.history();
    return { status, cluster: job.cluster, jobId: job.jobId, handle: job.handle, history, events: history.events?.length ?? 0 };
  });
}

export function inputFor(jobId: string, spec: JobSpec, options?: SparkJobOptions): SparkJobInput {
  return { jobId, spec, fingerprint: specFingerprint(spec), ...(options ? { options } : {}) };
}

export async function waitForStatus(
  handle: JobHandle,
  accept: JobState | ((s: JobStatus) => boolean),
  what = typeof accept === 'string' ? `state ${accept}` : 'the expected status',
): Promise<JobStatus> {
  const ok = typeof accept === 'string' ? (s: JobStatus) => s.state === accept : accept;
  return vi.waitFor(
    async () => {
      const status = await handle.query(statusQuery);
      if (!ok(status)) throw new Error(`waiting for ${what}; the job is ${status.state}`);
      return status;
    },
    { timeout: 20_000, interval: 25 },
  );
}

/** Attempt n's batch name for a job: `J-aN`. */
export function batchOf(jobId: string, n: number): string {
  return `${jobId}-a${n}`;
}
