/**
 * DESIGN.md rule 4: every row of the cancellation table, through each of the three paths
 * (signal `cancel`, Update `requestCancel`, native workflow cancellation).
 *
 * Batches run on a real-speed fake clock here, and the server's clock runs at real speed until a
 * test awaits the result, so the job sits still in the state each row needs.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CancelAnswer, CancelVia, JobState, JobStatus } from '../../contract';
import { virtualClock } from '../support/fakeActivities';
import { CANCEL_PATHS, expectedCancelRecord, requestCancel, TEST_CLIENT_IDENTITY, type Canceller } from '../support/cancelPaths';
import { activitiesScheduled, EventType } from '../support/history';
import { batchOf, withJob } from '../support/jobHarness';
import { timeSkippingEnv } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const alice: Canceller = { requestedBy: 'alice@analytics', reason: 'wrong input date' };
const bob: Canceller = { requestedBy: 'bob@analytics', reason: 'duplicate run' };
/** Longer than any test: the batch stays in its state until the workflow acts. */
const FOREVER_MS = 1e12;
const realTime = () => virtualClock(1);

/** A native cancellation is on record at once; its requester's identity follows from the run's history moments later. */
function cancellerNamed(status: JobStatus): boolean {
  return status.cancel?.via !== 'workflow-cancel' || status.cancel.requestedBy !== 'temporal';
}

function expectCancelRecorded(status: JobStatus, via: CancelVia, who: Canceller): void {
  expect(status.cancel).toMatchObject(expectedCancelRecord(via, who));
  expect(Number.isNaN(Date.parse(status.cancel!.at))).toBe(false);
}

/** An Update answers with the state at acceptance; a signal and native cancellation answer nothing. */
function expectAccepted(answer: CancelAnswer | undefined, via: CancelVia, state: JobState): void {
  if (via === 'update') expect(answer).toMatchObject({ accepted: true, state });
  else expect(answer).toBeUndefined();
}

describe.each(CANCEL_PATHS)('cancel via %s', (via) => {
  it('before submission, while waiting for a cluster: no Livy calls, CANCELLED', async () => {
    await withJob(env, { scripts: [{}], clock: realTime(), configure: (c) => (c.healthy = false) }, async (job) => {
      // No healthy cluster: routing fails and Temporal retries it, so the job stays QUEUED.
      await vi.waitFor(() => expect(job.cluster.routes.length).toBeGreaterThan(0), { timeout: 20_000 });
      expect((await job.status()).state).toBe('QUEUED');

      expectAccepted(await requestCancel(job.handle, via, alice), via, 'QUEUED');
      const status = await job.result();

      expect(status.state).toBe('CANCELLED');
      expect(status.attempts).toEqual([]);
      expect(job.cluster.submits).toEqual([]);
      expect(job.cluster.kills).toEqual([]);
      expect(job.cluster.livyCalls).toEqual([]);
      expectCancelRecorded(status, via, alice);
    });
  });

  it('while the POST is in flight: one DELETE once the POST returns, CANCELLED', async () => {
    await withJob(env, { scripts: [{ holdSubmit: true, startingMs: FOREVER_MS }], clock: realTime() }, async (job) => {
      await job.cluster.submitInFlight;
      expectAccepted(await requestCancel(job.handle, via, alice), via, 'SUBMITTING');

      const during = await job.waitForStatus(cancellerNamed, 'the canceller named');
      expect(during.state).toBe('SUBMITTING');
      // The request is on record at once, whichever way it came (a status query shows it).
      expectCancelRecorded(during, via, alice);
      expect(job.cluster.livyCalls).toEqual([]);

      job.cluster.release();
      const status = await job.result();

      const a1 = batchOf(job.jobId, 1);
      expect(status.state).toBe('CANCELLED');
      expect(job.cluster.livyCalls).toEqual([`POST ${a1}`, `DELETE ${a1}`]);
      expect(job.cluster.kills).toEqual([a1]);
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]).toMatchObject({ n: 1, batchName: a1, batchId: 0, batchState: 'killed', outcome: 'CANCELLED' });
      expectCancelRecorded(status, via, alice);
    });
  });

  it.each([
    { state: 'STARTING' as const, script: { startingMs: FOREVER_MS } },
    { state: 'RUNNING' as const, script: { startingMs: 0, runningMs: FOREVER_MS } },
  ])('while $state: one DELETE, CANCELLED', async ({ state, script }) => {
    await withJob(env, { scripts: [script], clock: realTime() }, async (job) => {
      await job.waitForStatus(state);
      expectAccepted(await requestCancel(job.handle, via, alice), via, state);
      const status = await job.result();

      const a1 = batchOf(job.jobId, 1);
      expect(status.state).toBe('CANCELLED');
      expect(job.cluster.livyCalls).toEqual([`POST ${a1}`, `DELETE ${a1}`]);
      expect(job.cluster.kills).toEqual([a1]);
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]).toMatchObject({ batchState: 'killed', outcome: 'CANCELLED' });
      expect(status.attempts[0]!.reason).toContain(via === 'workflow-cancel' ? TEST_CLIENT_IDENTITY : alice.requestedBy);
      expectCancelRecorded(status, via, alice);
    });
  });

  it.each([
    { outcome: 'success' as const, state: 'SUCCEEDED', attemptOutcome: 'SUCCEEDED' },
    { outcome: 'dead' as const, state: 'FAILED', attemptOutcome: 'APP_FAILED' },
  ])('while RUNNING, but the batch already ended $outcome: $state, no DELETE', async ({ outcome, state, attemptOutcome }) => {
    // The batch ends at once, unseen by the tracking activity: only the cancel's look at Livy finds out.
    const script = { startingMs: 0, runningMs: 0, outcome, endUnseen: true };
    await withJob(env, { scripts: [script, {}], clock: realTime() }, async (job) => {
      await job.waitForStatus('RUNNING');
      expectAccepted(await requestCancel(job.handle, via, alice), via, 'RUNNING');
      const status = await job.result();

      const a1 = batchOf(job.jobId, 1);
      expect(status.state).toBe(state);
      expect(job.cluster.kills).toEqual([a1]);
      expect(job.cluster.livyCalls).toEqual([`POST ${a1}`]);
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]).toMatchObject({ batchState: outcome, outcome: attemptOutcome });
      if (outcome === 'dead') expect(status.lastError).toMatchObject({ type: 'AppFailed', class: 'app' });
      // Who asked is still on record, though the batch's own end stands.
      expectCancelRecorded(status, via, alice);
    });
  });

  it('between attempts (RETRYING): no Livy calls, CANCELLED', async () => {
    const spec = { retry: { initialBackoff: '365d', maxBackoff: '365d' } };
    const scripts = [{ startingMs: 0, runningMs: 0, outcome: 'dead' as const }, {}];
    await withJob(env, { scripts, spec, clock: realTime() }, async (job) => {
      const retrying = await job.waitForStatus('RETRYING');
      // Full jitter over a year puts the next attempt a minute away or less once in ~500,000 runs; this says so if it does.
      expect(Date.parse(retrying.nextAttemptAt!) - Date.parse(retrying.updatedAt)).toBeGreaterThan(60_000);
      const callsBefore = [...job.cluster.livyCalls];

      expectAccepted(await requestCancel(job.handle, via, alice), via, 'RETRYING');
      const status = await job.result();

      expect(status.state).toBe('CANCELLED');
      expect(status.nextAttemptAt).toBeUndefined();
      expect(job.cluster.livyCalls).toEqual(callsBefore);
      expect(job.cluster.livyCalls).toEqual([`POST ${batchOf(job.jobId, 1)}`]);
      expect(job.cluster.kills).toEqual([]);
      expect(job.cluster.routes).toHaveLength(1);
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]!.outcome).toBe('APP_FAILED');
      expectCancelRecorded(status, via, alice);
    });
  });

  it('after the job finished: refused or without effect, the final state unchanged, no Livy calls', async () => {
    await withJob(env, { scripts: [{ runningMs: 60_000 }] }, async (job) => {
      const finished = await job.result();
      expect(finished.state).toBe('SUCCEEDED');
      const eventsBefore = (await job.history()).events!.length;

      if (via === 'workflow-cancel') {
        // Temporal may refuse (real server) or quietly accept (test server); either way nothing may change.
        await job.handle.cancel().catch((err: unknown) => expect(err).toBeInstanceOf(WorkflowNotFoundError));
      } else {
        await expect(requestCancel(job.handle, via, alice)).rejects.toBeInstanceOf(WorkflowNotFoundError);
      }

      const history = await job.history();
      expect(history.events).toHaveLength(eventsBefore);
      expect(history.events!.at(-1)!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
      expect((await job.handle.describe()).status.name).toBe('COMPLETED');
      const after = await job.status();
      expect(after.state).toBe('SUCCEEDED');
      expect(after.cancel).toBeUndefined();
      expect(job.cluster.kills).toEqual([]);
      expect(job.cluster.livyCalls).toEqual([`POST ${batchOf(job.jobId, 1)}`]);
    });
  });
});

describe.each(['signal', 'workflow-cancel'] as const)('cancel via %s before any worker took the job', (via) => {
  it('schedules no job activity (only the calls to Temporal about its own run) and ends CANCELLED', async () => {
    const beforeWorker = async (handle: Parameters<typeof requestCancel>[0]) => {
      if (via === 'signal') await handle.signal('cancel', alice);
      else await handle.cancel();
    };
    await withJob(env, { scripts: [{}], beforeWorker }, async (job) => {
      const status = await job.result();
      expect(status.state).toBe('CANCELLED');
      expectCancelRecorded(status, via, alice);
      // A signal's cancel asks Temporal to close the run Canceled; a native one reads who asked for it.
      expect(activitiesScheduled(await job.history())).toEqual([via === 'signal' ? 'requestRunCancellation' : 'cancelRequester']);
      expect(job.cluster.routes).toEqual([]);
      expect(job.cluster.livyCalls).toEqual([]);
    });
  });
});

const PAIRS = CANCEL_PATHS.flatMap((first) => CANCEL_PATHS.map((second) => [first, second] as const));

describe('a second cancel', () => {
  it.each(PAIRS)('first via %s, then via %s while the POST is in flight: not accepted, one DELETE', async (first, second) => {
    await withJob(env, { scripts: [{ holdSubmit: true, startingMs: FOREVER_MS }], clock: realTime() }, async (job) => {
      await job.cluster.submitInFlight;
      await requestCancel(job.handle, first, alice);
      const answer = await requestCancel(job.handle, second, bob);

      if (second === 'update') {
        expect(answer).toMatchObject({ accepted: false, state: 'SUBMITTING' });
        expect(answer!.message).toMatch(/already requested/);
      }
      const during = await job.waitForStatus(cancellerNamed, 'the canceller named');
      expect(during.state).toBe('SUBMITTING');
      expectCancelRecorded(during, first, alice);

      job.cluster.release();
      const status = await job.result();

      const a1 = batchOf(job.jobId, 1);
      expect(status.state).toBe('CANCELLED');
      expect(job.cluster.livyCalls).toEqual([`POST ${a1}`, `DELETE ${a1}`]);
      expect(job.cluster.kills).toEqual([a1]);
      expectCancelRecorded(status, first, alice);
    });
  });

  it.each(CANCEL_PATHS.map((second, i) => [CANCEL_PATHS[(i + 1) % CANCEL_PATHS.length]!, second] as const))(
    'first via %s, then via %s while its DELETE is in flight: not accepted, one DELETE',
    async (first, second) => {
      const script = { startingMs: 0, runningMs: FOREVER_MS, holdKill: true };
      await withJob(env, { scripts: [script], clock: realTime() }, async (job) => {
        await job.waitForStatus('RUNNING');
        await requestCancel(job.handle, first, alice);
        await job.cluster.killInFlight;
        const answer = await requestCancel(job.handle, second, bob);

        if (second === 'update') expect(answer).toMatchObject({ accepted: false, state: 'RUNNING' });
        expectCancelRecorded(await job.status(), first, alice);

        job.cluster.releaseKill();
        const status = await job.result();

        const a1 = batchOf(job.jobId, 1);
        expect(status.state).toBe('CANCELLED');
        expect(job.cluster.livyCalls).toEqual([`POST ${a1}`, `DELETE ${a1}`]);
        expect(job.cluster.kills).toEqual([a1]);
        expectCancelRecorded(status, first, alice);
        expect(activitiesScheduled(await job.history()).filter((type) => type === 'killBatch')).toHaveLength(1);
      });
    },
  );
});
