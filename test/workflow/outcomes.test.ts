/**
 * A job's outcome is its workflow's outcome (DESIGN.md "States"): SUCCEEDED completes, FAILED and
 * TIMED_OUT fail the workflow (non-retryable, the reason in the message, the status in the details),
 * CANCELLED, through any of the three cancel paths, ends it Canceled (the status in the memo).
 * A rerun's earlier runs travel in its input and show in its status.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { JOB_END_FAILURE_TYPES, JOB_STATUS_MEMO_KEY, MAX_PREVIOUS_RUNS, type JobStatus, type RunSummary } from '../../contract';
import { statusFromMemo } from '../../client/jobOutcome';
import { virtualClock } from '../support/fakeActivities';
import { CANCEL_PATHS, requestCancel } from '../support/cancelPaths';
import { inputFor, normalizedSpec, runJob, withJob } from '../support/jobHarness';
import { timeSkippingEnv } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** The raw end of the run: its execution status, and the error its result() throws (if any). */
async function rawEnd(handle: { result(): Promise<unknown>; describe(): Promise<{ status: { name: string }; memo?: Record<string, unknown> }> }) {
  const error = await handle.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  const description = await handle.describe();
  return { execution: description.status.name, error, memo: description.memo };
}

describe('the workflow ends the way the job did', () => {
  it('SUCCEEDED completes the workflow with the status', async () => {
    const { handle, status } = await runJob(env, { scripts: [{ outcome: 'success' }] });
    expect(status.state).toBe('SUCCEEDED');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(((await handle.result()) as JobStatus).state).toBe('SUCCEEDED');
  });

  it('FAILED fails the workflow: JobFailed, non-retryable, the reason as message, the status in the details', async () => {
    const { handle, status } = await runJob(env, { scripts: [{ outcome: 'dead' }], spec: { retry: { app: 0 } } });
    expect(status.state).toBe('FAILED');
    const { execution, error } = await rawEnd(handle);
    expect(execution).toBe('FAILED');
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: JOB_END_FAILURE_TYPES.FAILED, nonRetryable: true });
    expect(cause!.message).toBe(`${status.lastError!.type}: ${status.lastError!.message}`);
    expect((cause as ApplicationFailure).details?.[0]).toEqual(status);
  });

  it('TIMED_OUT fails the workflow: JobTimedOut with the status in the details', async () => {
    const { handle, status } = await runJob(env, { scripts: [{}], spec: { timeouts: { queue: '1h' } }, configure: (c) => (c.healthy = false) });
    expect(status.state).toBe('TIMED_OUT');
    const { execution, error } = await rawEnd(handle);
    expect(execution).toBe('FAILED');
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: JOB_END_FAILURE_TYPES.TIMED_OUT, nonRetryable: true });
    expect(cause.message).toContain('QueueTimeout');
    expect(cause.details?.[0]).toEqual(status);
  });

  it('an invalid spec still fails the workflow with the field-level errors (no status)', async () => {
    const { error, execution } = await withJob(
      env,
      { scripts: [], input: (jobId) => ({ jobId, spec: { name: 'x', team: 'analytics', kind: 'pyspark' } as never }) },
      async (job) => rawEnd(job.handle),
    );
    expect(execution).toBe('FAILED');
    expect((error as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidSpec' });
  });

  describe.each(CANCEL_PATHS)('cancel via %s', (via) => {
    it('ends the workflow Canceled, the status in the memo and in the CancelledFailure', async () => {
      await withJob(env, { scripts: [{ startingMs: 0, runningMs: 1e12 }], clock: virtualClock(1) }, async (job) => {
        await job.waitForStatus('RUNNING');
        await requestCancel(job.handle, via, { requestedBy: 'alice@analytics', reason: 'wrong date' });
        // Waits at the server's real speed (result() would let the test server skip time): a run cancelled by
        // signal or Update requests its own cancellation, which the time-skipping server can skip past.
        await vi.waitFor(async () => expect((await job.handle.describe()).status.name).not.toBe('RUNNING'), { timeout: 20_000, interval: 50 });
        const { execution, error, memo } = await rawEnd(job.handle);
        expect(execution).toBe('CANCELLED');
        expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
        const status = statusFromMemo(memo);
        expect(status?.state).toBe('CANCELLED');
        expect(memo?.[JOB_STATUS_MEMO_KEY]).toEqual(await job.result());
        expect(job.cluster.kills).toHaveLength(1);
        // Nothing the run started is left pending when it closes.
        expect((await job.handle.describe()).raw.pendingActivities ?? []).toEqual([]);
      });
    });
  });
});

describe('a rerun knows its earlier runs', () => {
  const earlier: RunSummary[] = [
    { run: 1, runId: 'r-1', state: 'FAILED', reason: 'AppFailed: exit 1', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:05:00.000Z', attempts: 2, lastAttempt: 2 },
    { run: 2, runId: 'r-2', state: 'CANCELLED', reason: 'cancelled by bob: oops', startedAt: '2026-01-01T01:00:00.000Z', attempts: 1, lastAttempt: 3 },
  ];

  it('numbers itself and its attempts after them (batch J-a4, never an earlier run\'s name) and keeps them in its status', async () => {
    const { status, cluster, jobId } = await runJob(env, {
      scripts: [{ outcome: 'success' }],
      input: (jobId) => ({ ...inputFor(jobId, normalizedSpec()), previousRuns: earlier }),
    });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.run).toBe(3);
    expect(status.previousRuns).toEqual(earlier);
    expect(status.attempts.map((a) => [a.n, a.batchName])).toEqual([[4, `${jobId}-a4`]]);
    expect(cluster.posts).toEqual([`${jobId}-a4`]);
  });

  it('a first run is run 1 with no earlier runs', async () => {
    const { status } = await runJob(env, { scripts: [{ outcome: 'success' }] });
    expect(status.run).toBe(1);
    expect(status.previousRuns).toBeUndefined();
  });

  it.each([
    ['not an array', { r: 1 }, 'previousRuns: must be an array'],
    ['too many', Array.from({ length: MAX_PREVIOUS_RUNS + 1 }, (_, i) => ({ ...earlier[0]!, run: i + 1 })), `previousRuns: at most ${MAX_PREVIOUS_RUNS} entries`],
    ['a SUCCEEDED run', [{ ...earlier[0]!, state: 'SUCCEEDED' }], 'previousRuns[0].state: must be FAILED, CANCELLED or TIMED_OUT'],
    ['run numbers not rising', [earlier[1], earlier[0]], 'previousRuns[1].run'],
    ['an unknown field', [{ ...earlier[0]!, steer: 'x' }], 'previousRuns[0].steer: unknown field'],
    ['an oversized reason', [{ ...earlier[0]!, reason: 'x'.repeat(1001) }], 'previousRuns[0].reason'],
    ['attempt numbers going back', [earlier[0], { ...earlier[1]!, lastAttempt: 1 }], 'previousRuns[1].lastAttempt'],
  ])('refuses previousRuns that are %s, before any activity', async (_, previousRuns, message) => {
    const { error, cluster } = await withJob(
      env,
      { scripts: [], input: (jobId) => ({ ...inputFor(jobId, normalizedSpec()), previousRuns: previousRuns as RunSummary[] }) },
      async (job) => ({ ...(await rawEnd(job.handle)), cluster: job.cluster }),
    );
    expect((error as WorkflowFailedError).cause?.message).toContain(message);
    expect(cluster.routes).toEqual([]);
  });
});


