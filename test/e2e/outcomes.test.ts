/**
 * The caller's contract end to end (client, worker, dev server, Livy simulator): a job's outcome is
 * its workflow's outcome, the same idempotency key after a failed end runs the job again, `rerun`,
 * `wait` with one long poll, and a status that says when no worker polls.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RerunNotAllowedError } from '../../client/errors';
import { ShaleClient } from '../../client/shaleClient';
import type { JobStatus } from '../../contract';
import { simSpec, startStack, type E2EStack } from '../support/stack';

let stack: E2EStack;

beforeAll(async () => {
  stack = await startStack('e2e-outcomes');
});
afterAll(async () => {
  await stack?.teardown();
});

const LONG = { 'shale.sim.durationMs': '600000' };

async function execution(jobId: string) {
  return stack.client.temporal.workflow.getHandle(jobId).describe();
}

async function runningOf(jobId: string): Promise<void> {
  await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
}

/** What `temporal workflow list --query 'ExecutionStatus="…"'` finds for this job. */
async function listedWith(executionStatus: string, jobId: string): Promise<string[]> {
  const found: string[] = [];
  for await (const wf of stack.client.temporal.workflow.list({ query: `WorkflowId = '${jobId}' AND ExecutionStatus = '${executionStatus}'` })) found.push(wf.workflowId);
  return found;
}

describe('a job ends its workflow the way it ended', () => {
  it('SUCCEEDED: Completed, nothing left pending', async () => {
    const { jobId } = await stack.client.submit(simSpec('ok'));
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    const run = await execution(jobId);
    expect(run.status.name).toBe('COMPLETED');
    expect(run.raw.pendingActivities ?? []).toEqual([]);
  });

  it('FAILED: Failed (found by ExecutionStatus="Failed"), the client still returns the full status', async () => {
    const { jobId } = await stack.client.submit(simSpec('fails', { 'shale.sim.outcomes': 'dead' }, { retry: { app: 0 } }));
    const waited = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(waited.state).toBe('FAILED');
    expect(waited.attempts).toHaveLength(1);
    expect(waited.lastError).toMatchObject({ class: 'app' });
    const run = await execution(jobId);
    expect(run.status.name).toBe('FAILED');
    expect(run.raw.pendingActivities ?? []).toEqual([]);
    expect(await stack.client.status(jobId)).toEqual(waited);
    await vi.waitFor(async () => expect(await listedWith('Failed', jobId)).toEqual([jobId]), { timeout: 20_000, interval: 250 });
    expect((await stack.client.audit(jobId)).at(-1)).toMatchObject({ event: 'ended', details: { state: 'FAILED' } });
  });

  it('TIMED_OUT: Failed (JobTimedOut), the batch killed, nothing left pending', async () => {
    const { jobId } = await stack.client.submit(simSpec('too-long', LONG, { timeouts: { run: 2 } }));
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status).toMatchObject({ state: 'TIMED_OUT', lastError: { type: 'RunTimeout' } });
    const run = await execution(jobId);
    expect(run.status.name).toBe('FAILED');
    expect(run.raw.pendingActivities ?? []).toEqual([]);
    expect(await stack.client.status(jobId)).toEqual(status);
    const history = await stack.client.temporal.workflow.getHandle(jobId).fetchHistory();
    expect(history.events?.at(-1)?.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('JobTimedOut');
  });

  it('CANCELLED by the client (Update): Canceled, nothing left pending, the full status and audit', async () => {
    const { jobId } = await stack.client.submit(simSpec('cancelled', LONG));
    await runningOf(jobId);
    const answer = await stack.client.cancel(jobId, { reason: 'wrong date', requestedBy: 'oncall@example.com' });
    expect(answer).toMatchObject({ accepted: true, state: 'RUNNING' });
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('CANCELLED');
    expect(status.cancel).toMatchObject({ requestedBy: 'oncall@example.com', via: 'update' });
    const run = await execution(jobId);
    expect(run.status.name).toBe('CANCELLED');
    expect(run.raw.pendingActivities ?? []).toEqual([]);
    expect(await stack.client.status(jobId)).toEqual(status);
    const audit = await stack.client.audit(jobId);
    expect(audit.filter((e) => e.event === 'cancel-requested')).toHaveLength(1);
    expect(audit.at(-1)).toMatchObject({ event: 'ended', details: { state: 'CANCELLED' } });
    // The same request again is answered from this run's record.
    expect(await stack.client.cancel(jobId, { requestId: answer.requestId, reason: 'wrong date' })).toMatchObject({ accepted: true, state: 'RUNNING' });
  });

  it('CANCELLED from the Web UI (native cancellation): the same canceller in status and audit', async () => {
    const { jobId } = await stack.client.submit(simSpec('ui-cancel', LONG));
    await runningOf(jobId);
    await stack.client.temporal.workflow.getHandle(jobId).cancel();
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('CANCELLED');
    expect((await execution(jobId)).status.name).toBe('CANCELLED');
    const requested = (await stack.client.audit(jobId)).filter((e) => e.event === 'cancel-requested');
    expect(requested).toHaveLength(1);
    // The requester's Temporal identity (the Web UI sends its user's), in the record and in the audit alike.
    expect(status.cancel).toMatchObject({ via: 'workflow-cancel', requestedBy: 'e2e-tester@ci' });
    expect(requested[0]!.actor).toBe('e2e-tester@ci');
  });
});

describe('the same idempotency key after a failed end runs the job again', () => {
  it('FAILED, then the same key: a new run under the same job ID that knows the earlier one; SUCCEEDED then stays', async () => {
    const key = `airflow.retry.${Date.now()}`;
    // Attempt 1 (run 1) dies; attempt 2 (run 2's first: attempts count on across runs) succeeds.
    const spec = simSpec('retried', { 'shale.sim.outcomes': 'dead,success' }, { retry: { app: 0 } });
    const first = await stack.client.submit(spec, { idempotencyKey: key });
    expect(first).toMatchObject({ created: true, rerun: false });
    expect((await stack.client.wait(first.jobId, { pollIntervalMs: 100 })).state).toBe('FAILED');

    const again = await stack.client.submit(spec, { idempotencyKey: key });
    expect(again).toMatchObject({ jobId: first.jobId, created: true, rerun: true });
    expect(again.runId).not.toBe(first.runId);
    const status = await stack.client.wait(first.jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.run).toBe(2);
    expect(status.previousRuns).toEqual([expect.objectContaining({ run: 1, runId: first.runId, state: 'FAILED', attempts: 1, lastAttempt: 1 })]);
    expect(status.attempts.map((a) => a.batchName)).toEqual([`${first.jobId}-a2`]);
    const audit = await stack.client.audit(first.jobId);
    expect(audit[0]).toMatchObject({ event: 'earlier-run', runId: first.runId });
    expect(audit.find((e) => e.event === 'submitted')?.summary).toMatch(/^run 2 \(a rerun after run 1 ended FAILED\)/);

    expect(await stack.client.submit(spec, { idempotencyKey: key })).toMatchObject({ created: false, rerun: false, runId: again.runId });
    await expect(stack.client.rerun(first.jobId)).rejects.toBeInstanceOf(RerunNotAllowedError);
  });

  it('concurrent submits with the same key after a CANCELLED end make exactly one new run', async () => {
    const key = `airflow.race.${Date.now()}`;
    const spec = simSpec('raced', LONG);
    const first = await stack.client.submit(spec, { idempotencyKey: key });
    await runningOf(first.jobId);
    const firstCancel = await stack.client.cancel(first.jobId, { reason: 'stop' });
    expect((await stack.client.wait(first.jobId, { pollIntervalMs: 100 })).state).toBe('CANCELLED');

    const answers = await Promise.all(Array.from({ length: 6 }, () => stack.client.submit(spec, { idempotencyKey: key })));
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.runId)).size).toBe(1);
    const status = await stack.client.status(first.jobId);
    expect(status.run).toBe(2);
    expect(status.previousRuns?.[0]).toMatchObject({ state: 'CANCELLED', reason: expect.stringContaining('stop') });
    // Run 1's cancel request id, sent again, is a request to run 2: not answered from run 1's record.
    const again = await stack.client.cancel(first.jobId, { requestId: firstCancel.requestId, reason: 'done testing' });
    expect(again.accepted).toBe(true);
    const ended = await stack.client.wait(first.jobId, { pollIntervalMs: 100 });
    expect(ended).toMatchObject({ state: 'CANCELLED', run: 2, cancel: { reason: 'done testing', requestId: firstCancel.requestId } });
  });

  it('rerun: runs a failed job again with the same spec; refuses a running one', async () => {
    const { jobId } = await stack.client.submit(simSpec('rerun-me', { 'shale.sim.outcomes': 'dead,success' }, { retry: { app: 0 } }));
    await expect(stack.client.rerun(jobId)).rejects.toBeInstanceOf(RerunNotAllowedError);
    expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('FAILED');
    const rerun = await stack.client.rerun(jobId, { requestedBy: 'ops@example.com' });
    expect(rerun).toMatchObject({ jobId, created: true, rerun: true });
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status).toMatchObject({ state: 'SUCCEEDED', run: 2, requestedBy: 'ops@example.com' });
  });
});

describe('wait', () => {
  it('holds one long poll for the result over many progress ticks', async () => {
    const { jobId } = await stack.client.submit(simSpec('waited', { 'shale.sim.durationMs': '4000' }));
    const service = stack.client.connection!.workflowService;
    const original = service.getWorkflowExecutionHistory.bind(service);
    const originalQuery = service.queryWorkflow.bind(service);
    let longPolls = 0;
    let open = 0;
    let mostOpen = 0;
    let queries = 0;
    service.getWorkflowExecutionHistory = ((request: { waitNewEvent?: boolean | null }) => {
      if (!request.waitNewEvent) return original(request as never);
      longPolls++;
      mostOpen = Math.max(mostOpen, ++open);
      return original(request as never).finally(() => open--);
    }) as typeof service.getWorkflowExecutionHistory;
    service.queryWorkflow = ((request: unknown) => {
      queries++;
      return originalQuery(request as never);
    }) as typeof service.queryWorkflow;
    let changes = 0;
    try {
      const status = await stack.client.wait(jobId, { pollIntervalMs: 50, onProgress: () => changes++ });
      expect(status.state).toBe('SUCCEEDED');
    } finally {
      service.getWorkflowExecutionHistory = original;
      service.queryWorkflow = originalQuery;
    }
    console.log(`wait: ${longPolls} result poll(s), at most ${mostOpen} open at once, over ${queries} status queries (${changes} changes)`);
    expect(queries).toBeGreaterThan(20);
    expect(changes).toBeGreaterThan(2);
    expect(mostOpen).toBe(1);
    expect(longPolls).toBe(1);
  });

  it('with timeoutMs, returns the current status when the time is up', async () => {
    const { jobId } = await stack.client.submit(simSpec('not-yet', LONG));
    const started = Date.now();
    const status = await stack.client.wait(jobId, { timeoutMs: 1500, pollIntervalMs: 200 });
    const took = Date.now() - started;
    expect(status.state).not.toMatch(/SUCCEEDED|FAILED|CANCELLED|TIMED_OUT/);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(5000);
    await stack.client.cancel(jobId, { reason: 'done' });
  });
});

describe('a job nobody picks up', () => {
  it('its status says that no worker polls its task queue', async () => {
    const nobody = new ShaleClient(stack.client.temporal, { taskQueue: `nobody-${Date.now()}`, identity: 'e2e-tester@ci' });
    const { jobId } = await nobody.submit(simSpec('orphan'));
    const status: JobStatus = await nobody.status(jobId);
    expect(status.state).toBe('QUEUED');
    expect(status.note).toMatch(/^no worker polls task queue "nobody-\d+"/);
    await stack.client.temporal.workflow.getHandle(jobId).terminate('test over');
  });
});
