import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IdempotencyConflictError, InvalidSpecError } from '../../client/errors';
import { simSpec, startStack, type E2EStack } from '../support/stack';
import { saveHistory } from '../support/histories';

let stack: E2EStack;

beforeAll(async () => {
  stack = await startStack('e2e-jobs');
});
afterAll(async () => {
  await stack?.teardown();
});

function livyCalls(method: string, name: string) {
  return [...stack.spark2.requests({ method, name }), ...stack.spark3.requests({ method, name })];
}

describe('jobs end to end (client, worker, dev server, Livy simulator)', () => {
  it('runs a job to SUCCEEDED on the Spark 3 cluster', async () => {
    const { jobId, created } = await stack.client.submit(simSpec('ok'));
    expect(created).toBe(true);
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts).toHaveLength(1);
    expect(status.attempts[0]).toMatchObject({ n: 1, cluster: 'emr6-spark3', batchState: 'success', outcome: 'SUCCEEDED' });
    expect(status.attempts[0]!.appId).toMatch(/^application_/);
    expect(status.logTail.length).toBeGreaterThan(0);
    expect(livyCalls('POST', `${jobId}-a1`)).toHaveLength(1);
    expect(status.requestedBy).toBe('e2e-tester@ci');
    await saveHistory(stack, jobId, 'success');
  });

  it('retries an app failure and then succeeds', async () => {
    const { jobId } = await stack.client.submit(simSpec('flaky', { 'shale.sim.outcomes': 'dead,success' }));
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts.map((a) => [a.n, a.outcome])).toEqual([
      [1, 'APP_FAILED'],
      [2, 'SUCCEEDED'],
    ]);
    expect(status.attempts[0]!.reason).toMatch(/dead/);
    expect(status.budgets.appFailures).toBe(1);
    expect(livyCalls('POST', `${jobId}-a1`)).toHaveLength(1);
    expect(livyCalls('POST', `${jobId}-a2`)).toHaveLength(1);
    await saveHistory(stack, jobId, 'app-failure-retry');
  });

  it('cancels a running job with exactly one DELETE', async () => {
    const { jobId } = await stack.client.submit(simSpec('long', { 'shale.sim.durationMs': '600000' }));
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    const answer = await stack.client.cancel(jobId, { reason: 'wrong input date', requestedBy: 'oncall@example.com' });
    expect(answer).toMatchObject({ accepted: true, state: 'RUNNING' });
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('CANCELLED');
    expect(status.cancel).toMatchObject({ requestedBy: 'oncall@example.com', reason: 'wrong input date', via: 'update' });
    expect(livyCalls('DELETE', `${jobId}-a1`)).toHaveLength(1);
    await saveHistory(stack, jobId, 'cancel-running');
  });

  it('leaves a finished job alone when cancelled (no DELETE, state unchanged)', async () => {
    const { jobId } = await stack.client.submit(simSpec('done'));
    expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('SUCCEEDED');
    const answer = await stack.client.cancel(jobId, { reason: 'too late' });
    expect(answer).toMatchObject({ accepted: false, state: 'SUCCEEDED' });
    expect((await stack.client.status(jobId)).state).toBe('SUCCEEDED');
    expect(livyCalls('DELETE', `${jobId}-a1`)).toHaveLength(0);
  });

  it('makes exactly one POST per attempt when the submit is retried after a timeout', async () => {
    // The simulator creates the batch at once but holds the answer past the worker's 1 s request timeout.
    stack.spark3.setFaults({ postAnswerDelayMs: 2500 });
    try {
      const { jobId } = await stack.client.submit(simSpec('slow-answer'));
      await vi.waitFor(() => expect(livyCalls('POST', `${jobId}-a1`)).toHaveLength(1), { timeout: 20_000, interval: 50 });
      stack.spark3.setFaults({ postAnswerDelayMs: 0 });
      const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
      expect(status.state).toBe('SUCCEEDED');
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]!.adopted).toBe(true);
      expect(livyCalls('POST', `${jobId}-a1`)).toHaveLength(1);
      await saveHistory(stack, jobId, 'submit-retried');
    } finally {
      stack.spark3.setFaults({ postAnswerDelayMs: 0 });
    }
  });

  it('returns the same job for the same idempotency key, running or finished', async () => {
    const key = `airflow.daily_load.extract.${Date.now()}`;
    const first = await stack.client.submit(simSpec('idem'), { idempotencyKey: key });
    const again = await stack.client.submit(simSpec('idem'), { idempotencyKey: key });
    expect(again).toMatchObject({ jobId: first.jobId, created: false });
    await stack.client.wait(first.jobId, { pollIntervalMs: 100 });
    const afterFinish = await stack.client.submit(simSpec('idem'), { idempotencyKey: key });
    expect(afterFinish).toMatchObject({ jobId: first.jobId, created: false });
    expect(livyCalls('POST', `${first.jobId}-a1`)).toHaveLength(1);
  });

  it('rejects the same key with a different spec, naming what differs', async () => {
    const key = `conflict-${Date.now()}`;
    const first = await stack.client.submit(simSpec('idem2', {}, { args: ['2024-01-01'] }), { idempotencyKey: key });
    const attempt = stack.client.submit(simSpec('idem2', {}, { args: ['2024-01-02'], size: 'LARGE' }), { idempotencyKey: key });
    await expect(attempt).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(attempt).rejects.toMatchObject({ jobId: first.jobId, differingFields: ['args', 'size'] });
  });

  it('refuses an invalid spec before anything starts', async () => {
    const before = await stack.client.list({ name: 'bad-spec' });
    const attempt = stack.client.submit({ ...simSpec('bad-spec'), team: 'Not A Team', file: 'ftp://x' });
    await expect(attempt).rejects.toBeInstanceOf(InvalidSpecError);
    await expect(attempt).rejects.toMatchObject({ errors: expect.arrayContaining([expect.objectContaining({ field: 'team' }), expect.objectContaining({ field: 'file' })]) });
    expect(await stack.client.list({ name: 'bad-spec' })).toEqual(before);
  });

  it('finds jobs by label (e.g. an Airflow run) and by start time', async () => {
    const runId = `scheduled__${Date.now()}`;
    const { jobId } = await stack.client.submit(simSpec('labelled', {}, { labels: { dag_id: 'revenue', run_id: runId } }));
    await stack.client.wait(jobId, { pollIntervalMs: 100 });
    await vi.waitFor(async () => {
      const found = await stack.client.list({ labels: [`run_id=${runId}`, 'dag_id=revenue'] });
      expect(found.map((j) => j.jobId)).toEqual([jobId]);
    }, { timeout: 20_000, interval: 250 });
    expect(await stack.client.list({ labels: [`run_id=${runId}`, 'dag_id=other'] })).toEqual([]);
    expect(await stack.client.list({ labels: [`run_id=${runId}`], since: new Date(Date.now() + 60_000) })).toEqual([]);
  });
});

