/**
 * ShaleClient.wait against a scripted Temporal client: it holds one result poll, re-opens it only
 * after a transient error (a Temporal restart), rides out the outage, and with timeoutMs answers
 * with the status as it is when the time is up.
 */
import { ServiceError, type Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { GRPC } from '../../client/cancelRequest';
import { ShaleClient } from '../../client/shaleClient';
import type { JobStatus } from '../../contract';

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}
const unavailable = () => new ServiceError('Failed to get Workflow execution history', { cause: grpcError(GRPC.UNAVAILABLE, 'connection refused') });

function statusOf(state: JobStatus['state']): JobStatus {
  return {
    jobId: 'job-1', name: 'n', team: 't', kind: 'pyspark', state, labels: {}, fingerprint: '', createdAt: '', updatedAt: '',
    attempts: [], budgets: { appFailures: 0, appRetries: 0, infraFailures: 0, infraRetries: 0 }, logTail: [],
  };
}

interface Script {
  /** What each result() poll does, in turn: fail transiently, hang until aborted, or answer. */
  polls: ('unavailable' | 'hang' | 'answer')[];
  /** describe() fails with Unavailable this many times (the outage), after the first `outageAfter` calls (default 1). */
  describeOutage?: number;
  outageAfter?: number;
}

function fakeTemporal(script: Script) {
  const calls = { polls: 0, describes: 0, queries: 0 };
  let outage = script.describeOutage ?? 0;
  let signal: AbortSignal | undefined;
  const description = () => ({
    workflowId: 'job-1', runId: 'r1', status: { name: 'RUNNING' }, taskQueue: 'shale-q', memo: {}, startTime: new Date(0),
    typedSearchAttributes: { get: () => 'RUNNING' }, raw: { workflowExecutionInfo: {} },
  });
  const handle = () => ({
    describe: async () => {
      calls.describes++;
      if (calls.describes > (script.outageAfter ?? 1) && outage > 0) {
        outage--;
        throw unavailable();
      }
      return description();
    },
    query: async () => {
      calls.queries++;
      return statusOf('RUNNING');
    },
    result: async () => {
      const next = script.polls[Math.min(calls.polls++, script.polls.length - 1)];
      if (next === 'unavailable') throw unavailable();
      if (next === 'answer') return statusOf('SUCCEEDED');
      return new Promise((_, reject) => signal!.addEventListener('abort', () => reject(new Error('cancelled on client')), { once: true }));
    },
  });
  const temporal = {
    options: { namespace: 'default' },
    workflow: { getHandle: handle },
    withAbortSignal: (s: AbortSignal, fn: () => Promise<unknown>) => {
      signal = s;
      return fn();
    },
    workflowService: { describeTaskQueue: async () => ({ pollers: [{ lastAccessTime: { seconds: Math.floor(Date.now() / 1000) } }] }) },
  };
  return { client: new ShaleClient(temporal as unknown as Client, { identity: 'tester@unit' }), calls };
}

describe('ShaleClient.wait', () => {
  it('rides out a Temporal outage: the poll is re-opened after each transient error, and the end is still seen', async () => {
    const { client, calls } = fakeTemporal({ polls: ['unavailable', 'unavailable', 'unavailable', 'answer'], describeOutage: 3 });
    const status = await client.wait('job-1', { pollIntervalMs: 20, timeoutMs: 30_000 });
    expect(status.state).toBe('SUCCEEDED');
    expect(calls.polls).toBe(4);
  });

  it('keeps one poll open over many progress queries, and with timeoutMs answers the status as it is', async () => {
    const { client, calls } = fakeTemporal({ polls: ['hang'] });
    const started = Date.now();
    const status = await client.wait('job-1', { pollIntervalMs: 10, timeoutMs: 500 });
    expect(status.state).toBe('RUNNING');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(calls.queries).toBeGreaterThan(10);
    expect(calls.polls).toBe(1);
  });

  it('stops at the caller\'s signal with the status as it is', async () => {
    const { client, calls } = fakeTemporal({ polls: ['hang'] });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const status = await client.wait('job-1', { pollIntervalMs: 10, signal: stop.signal });
    expect(status.state).toBe('RUNNING');
    expect(calls.polls).toBe(1);
  });

  it('on an outage that outlasts timeoutMs, answers the last status it saw when the time is up', async () => {
    const { client } = fakeTemporal({ polls: ['unavailable'], describeOutage: 1_000_000, outageAfter: 2 });
    const started = Date.now();
    const status = await client.wait('job-1', { pollIntervalMs: 20, timeoutMs: 800 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(status.state).toBe('RUNNING');
  });

  it('with no status seen before an outage that outlasts timeoutMs, fails with the transient error at the deadline', async () => {
    const { client } = fakeTemporal({ polls: ['unavailable'], describeOutage: 1_000_000 });
    const started = Date.now();
    await expect(client.wait('job-1', { pollIntervalMs: 20, timeoutMs: 800 })).rejects.toThrow(/execution history/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
