/**
 * ShaleClient.submit with an idempotency key, against a scripted Temporal client: which runs it
 * returns as they are, which it runs again (and with which reuse policy and earlier runs), and a
 * spec that differs from the latest run's.
 */
import { type Client } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { IdempotencyConflictError } from '../../client/errors';
import { ShaleClient } from '../../client/shaleClient';
import { jobIdFromKey, JOB_END_FAILURE_TYPES, parseJobSpec, specFingerprint, type JobSpec, type JobStatus, type SparkJobInput } from '../../contract';

const specInput = { name: 'daily', team: 'analytics', kind: 'pyspark', file: 's3://b/app.py' };
const parsed = parseJobSpec({ ...specInput, requestedBy: 'tester@unit' });
if (!parsed.ok) throw new Error('test spec invalid');
const spec: JobSpec = parsed.spec;
const jobId = jobIdFromKey('analytics', 'k1');

function statusOf(state: JobStatus['state'], extra: Partial<JobStatus> = {}): JobStatus {
  return {
    jobId, name: 'daily', team: 'analytics', kind: 'pyspark', state, labels: {}, fingerprint: specFingerprint(spec),
    createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:10:00.000Z', finishedAt: '2026-01-01T00:10:00.000Z',
    attempts: [{ n: 1, batchName: `${jobId}-a1`, outcome: 'APP_FAILED' }], budgets: { appFailures: 1, appRetries: 0, infraFailures: 0, infraRetries: 0 },
    logTail: [], lastError: { type: 'AppFailed', class: 'app', message: 'exit 1' }, ...extra,
  };
}

type Latest = { status: 'RUNNING' | 'COMPLETED' | 'FAILED'; result: JobStatus; fingerprint?: string };

function fakeTemporal(latest: Latest) {
  const starts: { reusePolicy?: string; conflictPolicy?: string; input: SparkJobInput; submissionId: string }[] = [];
  let current = { runId: 'r1', memo: { fingerprint: latest.fingerprint ?? specFingerprint(spec), submissionId: 'old' } as Record<string, unknown>, status: latest.status };
  const describe = async () => ({
    workflowId: jobId, runId: current.runId, status: { name: current.status }, taskQueue: 'shale', memo: current.memo,
    startTime: new Date(0), typedSearchAttributes: { get: () => (current.status === 'RUNNING' ? 'RUNNING' : latest.result.state) },
    raw: { workflowExecutionInfo: {} },
  });
  const handle = (_id: string, runId?: string) => ({
    describe,
    result: async () => {
      if (runId && runId !== 'r1') return statusOf('SUCCEEDED');
      if (latest.status === 'FAILED') {
        throw new WorkflowFailedError('failed', ApplicationFailure.create({ type: JOB_END_FAILURE_TYPES.FAILED, message: 'x', details: [latest.result] }), 'NON_RETRYABLE_FAILURE');
      }
      return latest.result;
    },
    fetchHistory: async () => ({
      events: [{ workflowExecutionStartedEventAttributes: { input: { payloads: [defaultPayloadConverter.toPayload({ jobId, spec } satisfies SparkJobInput)] } } }],
    }),
  });
  const temporal = {
    options: { namespace: 'default' },
    workflow: {
      getHandle: handle,
      start: async (_type: string, options: { args: [SparkJobInput]; workflowIdReusePolicy?: string; workflowIdConflictPolicy?: string; memo: { submissionId: string } }) => {
        starts.push({ reusePolicy: options.workflowIdReusePolicy, conflictPolicy: options.workflowIdConflictPolicy, input: options.args[0], submissionId: options.memo.submissionId });
        current = { runId: 'r2', memo: options.memo, status: 'RUNNING' };
        return { firstExecutionRunId: 'r2' };
      },
    },
    withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(),
  };
  return { client: new ShaleClient(temporal as unknown as Client, { identity: 'tester@unit' }), starts };
}

describe('ShaleClient.submit with the same idempotency key', () => {
  it('returns a running job as it is', async () => {
    const { client, starts } = fakeTemporal({ status: 'RUNNING', result: statusOf('RUNNING') });
    expect(await client.submit(specInput, { idempotencyKey: 'k1' })).toMatchObject({ jobId, created: false, rerun: false, runId: 'r1' });
    expect(starts).toEqual([]);
  });

  it('returns a SUCCEEDED job as it is', async () => {
    const { client, starts } = fakeTemporal({ status: 'COMPLETED', result: statusOf('SUCCEEDED') });
    expect(await client.submit(specInput, { idempotencyKey: 'k1' })).toMatchObject({ created: false, rerun: false, runId: 'r1' });
    expect(starts).toEqual([]);
  });

  it('runs a FAILED job again (ALLOW_DUPLICATE_FAILED_ONLY, USE_EXISTING), handing the new run the earlier one', async () => {
    const { client, starts } = fakeTemporal({ status: 'FAILED', result: statusOf('FAILED') });
    expect(await client.submit(specInput, { idempotencyKey: 'k1' })).toMatchObject({ jobId, created: true, rerun: true, runId: 'r2' });
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ reusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY', conflictPolicy: 'USE_EXISTING' });
    expect(starts[0]!.input.previousRuns).toEqual([
      { run: 1, runId: 'r1', state: 'FAILED', reason: 'AppFailed: exit 1', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:10:00.000Z', attempts: 1, lastAttempt: 1 },
    ]);
  });

  it('runs a 0.2.0 job that completed its workflow with a FAILED status again (ALLOW_DUPLICATE: Temporal saw it complete)', async () => {
    const { client, starts } = fakeTemporal({ status: 'COMPLETED', result: statusOf('CANCELLED', { cancel: { requestedBy: 'bob', reason: 'oops', at: '', via: 'update' } }) });
    expect(await client.submit(specInput, { idempotencyKey: 'k1' })).toMatchObject({ created: true, rerun: true });
    expect(starts[0]).toMatchObject({ reusePolicy: 'ALLOW_DUPLICATE' });
    expect(starts[0]!.input.previousRuns?.[0]).toMatchObject({ run: 1, state: 'CANCELLED', reason: 'cancelled by bob: oops' });
  });

  it('refuses another spec under the key, against the latest run, before starting anything', async () => {
    const { client, starts } = fakeTemporal({ status: 'FAILED', result: statusOf('FAILED'), fingerprint: 'another' });
    await expect(client.submit({ ...specInput, size: 'LARGE' }, { idempotencyKey: 'k1' })).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(starts).toEqual([]);
  });
});
