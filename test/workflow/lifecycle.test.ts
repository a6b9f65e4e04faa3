import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseJobSpec, specFingerprint, type JobSpecInput, type JobStatus } from '../../contract';
import { FAST, FakeCluster, virtualClock, type AttemptScript } from '../support/fakeActivities';
import { fakeWorker, timeSkippingEnv, uniqueTaskQueue } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const baseSpec: JobSpecInput = { name: 'daily', team: 'analytics', kind: 'pyspark', file: 's3://b/app.py', retry: { initialBackoff: 10 } };

async function runJob(scripts: AttemptScript[], spec: Partial<JobSpecInput> = {}, options = {}) {
  const cluster = new FakeCluster(virtualClock(FAST), scripts);
  const taskQueue = uniqueTaskQueue('lifecycle');
  const worker = await fakeWorker(env, taskQueue, cluster.activities());
  const parsed = parseJobSpec({ ...baseSpec, ...spec });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const jobId = `job-${taskQueue}`;
  const status = await worker.runUntil(
    env.client.workflow.execute('sparkJob', {
      taskQueue,
      workflowId: jobId,
      args: [{ jobId, spec: parsed.spec, fingerprint: specFingerprint(parsed.spec), options }],
    }) as Promise<JobStatus>,
  );
  const history = await env.client.workflow.getHandle(jobId).fetchHistory();
  return { status, cluster, events: history.events?.length ?? 0 };
}

describe('sparkJob lifecycle', () => {
  it('runs a one-minute job to SUCCEEDED with one POST', async () => {
    const { status, cluster, events } = await runJob([{ outcome: 'success', runningMs: 60_000 }]);
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts).toHaveLength(1);
    expect(status.attempts[0]).toMatchObject({ n: 1, outcome: 'SUCCEEDED', cluster: 'fake', batchState: 'success' });
    expect(cluster.posts).toEqual([status.attempts[0]!.batchName]);
    expect(events).toBeLessThan(60);
  });

  it('keeps a 24-hour job under 60 history events', async () => {
    const { status, events } = await runJob([{ outcome: 'success', runningMs: 24 * 3600_000 }]);
    expect(status.state).toBe('SUCCEEDED');
    expect(events).toBeLessThan(60);
  });
});
