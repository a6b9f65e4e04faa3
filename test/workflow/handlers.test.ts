/**
 * Issue 9, items 5–7: every handler checks its input, and nothing a caller sends can wedge a job,
 * skip validation or steer an activity. A bad Update is rejected by its validator (nothing written
 * to history), a bad signal is ignored with a log line, a bad query answers an error; the job goes
 * on and a correct cancel afterwards works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { requestCancelUpdate, statusQuery, type JobStatus, type SparkJobInput } from '../../contract';
import { EventType, eventsOfType, waitUntilRequestsHandled } from '../support/history';
import { baseSpec, batchOf, normalizedSpec, withJob } from '../support/jobHarness';
import { timeSkippingEnv } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** Payloads a careless script or a hostile caller might send to `cancel` / `requestCancel`. */
const HOSTILE_CANCEL_ARGS: unknown[] = [
  { reason: 5 },
  { requestedBy: { admin: true } },
  { reason: 'x'.repeat(100_000) },
  { reason: 'ok', colour: 'red' },
  ['reason'],
  'cancel please',
  42,
  true,
  { __proto__: { reason: 1 }, requestedBy: null, reason: [] },
  // Found by the chaos suite: an explicit null was taken for a cancel without a reason.
  null,
];

const RUNS_LONG = { runningMs: 1e12 };

describe('hostile payloads', () => {
  it('bad cancel signals are ignored; the job runs on and a correct cancel afterwards is obeyed', async () => {
    await withJob(env, { scripts: [RUNS_LONG] }, async (job) => {
      await job.waitForStatus('RUNNING');
      for (const args of HOSTILE_CANCEL_ARGS) await job.handle.signal('cancel', args);
      await waitUntilRequestsHandled(job.handle);

      const running = await job.status();
      expect(running.state).toBe('RUNNING');
      expect(running.cancel).toBeUndefined();
      expect(eventsOfType(await job.history(), EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toEqual([]);

      await job.handle.signal('cancel', { reason: 'for real', requestedBy: 'ops' });
      const status = await job.result();
      expect(status.state).toBe('CANCELLED');
      expect(status.cancel).toMatchObject({ reason: 'for real', requestedBy: 'ops', via: 'signal' });
      expect(job.cluster.deletes).toEqual([batchOf(job.jobId, 1)]);
    });
  });

  it('bad requestCancel Updates are rejected by the validator with the field named; nothing reaches history', async () => {
    await withJob(env, { scripts: [RUNS_LONG] }, async (job) => {
      await job.waitForStatus('RUNNING');
      const before = (await job.history()).events?.length ?? 0;
      for (const args of HOSTILE_CANCEL_ARGS) {
        const err = await job.handle.executeUpdate(requestCancelUpdate, { args: [args as never] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(/must be|unknown field|longer than|could not be read/);
      }
      const history = await job.history();
      // A rejected Update is written nowhere: no Update event, whatever else the running job recorded meanwhile.
      const added = (history.events ?? []).slice(before).map((e) => EventType[e.eventType!] ?? '');
      expect(added.filter((t) => /UPDATE/.test(t))).toEqual([]);
      expect((await job.status()).state).toBe('RUNNING');

      const answer = await job.handle.executeUpdate(requestCancelUpdate, { args: [{ reason: 'for real', requestedBy: 'ops' }] });
      expect(answer).toMatchObject({ accepted: true, state: 'RUNNING' });
      expect((await job.result()).state).toBe('CANCELLED');
    });
  });

  it('a retried cancel with the same requestId gets the first acceptance\'s answer', async () => {
    await withJob(env, { scripts: [RUNS_LONG] }, async (job) => {
      await job.waitForStatus('RUNNING');
      const request = { reason: 'stop', requestedBy: 'ops', requestId: 'req-1' };
      const first = await job.handle.executeUpdate(requestCancelUpdate, { args: [request] });
      const again = await job.handle.executeUpdate(requestCancelUpdate, { args: [request] }).catch(() => undefined);
      const other = await job.handle.executeUpdate(requestCancelUpdate, { args: [{ ...request, requestId: 'req-2' }] }).catch(() => undefined);

      expect(first).toMatchObject({ accepted: true, state: 'RUNNING' });
      // Answered by the workflow or, once it has completed, not at all: never a different answer to the same request.
      if (again) expect(again).toEqual(first);
      if (other) expect(other.accepted).toBe(false);
      expect((await job.result()).state).toBe('CANCELLED');
    });
  });

  it('the status query refuses arguments and still answers without them', async () => {
    await withJob(env, { scripts: [RUNS_LONG] }, async (job) => {
      await job.waitForStatus('RUNNING');
      const refused = await job.handle.query(statusQuery.name, { evil: true } as never).then(
        () => undefined,
        (e: unknown) => e as Error & { cause?: Error },
      );
      // The client wraps the handler's error; its text travels in the message or the cause.
      expect(`${refused?.message} ${refused?.cause?.message ?? ''}`).toMatch(/takes no arguments|Failed to query/);
      const status: JobStatus = await job.handle.query(statusQuery);
      expect(status.state).toBe('RUNNING');
      await job.handle.cancel();
      expect((await job.result()).state).toBe('CANCELLED');
    });
  });
});

describe('workflow input', () => {
  async function failureOf(input: (jobId: string) => SparkJobInput): Promise<{ type?: string; message: string; activities: number }> {
    return withJob(env, { scripts: [{}], input }, async (job) => {
      const err = await job.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
      const history = await job.history();
      return { type: cause.type, message: cause.message, activities: eventsOfType(history, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length };
    });
  }

  it('a forged `resume` on a started (not continued) run is refused before any activity: it cannot steer the worker', async () => {
    const forged = (jobId: string): SparkJobInput => {
      const spec = normalizedSpec();
      const status = { jobId, attempts: [], logTail: [], state: 'RUNNING' } as unknown as JobStatus;
      return { jobId, spec, resume: { status, tracking: { ref: { cluster: 'evil', batchName: `${jobId}-a1`, batchId: 0 }, knownState: 'running' } } };
    };
    const failure = await failureOf(forged);
    expect(failure).toMatchObject({ type: 'InvalidSpec', activities: 0 });
    expect(failure.message).toContain('resume: accepted only on a continue-as-new run');
  });

  it.each([
    { what: 'a jobId other than the workflow id', input: (jobId: string) => ({ jobId: `${jobId}-other`, spec: baseSpec }), field: 'jobId' },
    { what: 'historyLimit 0 (would continue-as-new forever)', input: (jobId: string) => ({ jobId, spec: baseSpec, options: { historyLimit: 0 } }), field: 'options.historyLimit' },
    { what: 'an unknown option', input: (jobId: string) => ({ jobId, spec: baseSpec, options: { turbo: 1 } as never }), field: 'options.turbo' },
  ])('$what is refused, naming $field', async ({ input, field }) => {
    const failure = await failureOf(input);
    expect(failure.type).toBe('InvalidSpec');
    expect(failure.message).toContain(`${field}: `);
    expect(failure.activities).toBe(0);
  });

  it('a spec whose fingerprint matches is validated all the same: no retry section is filled in, not taken on trust', async () => {
    // The old workflow took a spec matching its (unkeyed, computable) fingerprint as is; one without
    // `retry` then failed every workflow task. Now validation normalizes it and the job runs.
    const { retry: _retry, ...raw } = normalizedSpec();
    const { specFingerprint } = await import('../../contract');
    const input = (jobId: string) => ({ jobId, spec: raw, fingerprint: specFingerprint(raw as never) });
    await withJob(env, { scripts: [{ outcome: 'success' }], input }, async (job) => {
      const status = await job.result();
      expect(status.state).toBe('SUCCEEDED');
      expect(job.cluster.validations).toBe(1);
      expect(status.budgets.appRetries).toBe(1);
    });
  });
});
