/**
 * DESIGN.md rule 6: `timeouts.queue` bounds the wait for a cluster, `timeouts.run` bounds an
 * attempt's run time (the batch is killed; TIMED_OUT).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { virtualClock } from '../support/fakeActivities';
import { firedTimerSeconds } from '../support/history';
import { batchOf, runJob } from '../support/jobHarness';
import { timeSkippingEnv } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('queue timeout', () => {
  it('ends TIMED_OUT without a POST when no cluster takes the job within timeouts.queue', async () => {
    // No healthy cluster: routeJob throws NoHealthyCluster and Temporal retries it until the deadline,
    // which the time-skipping server reaches in moments.
    const { status, cluster, history } = await runJob(env, {
      scripts: [{}],
      spec: { timeouts: { queue: '2h' } },
      configure: (c) => (c.healthy = false),
    });

    expect(status.state).toBe('TIMED_OUT');
    expect(status.lastError).toMatchObject({ type: 'QueueTimeout' });
    expect(status.lastError!.message).toContain('7200s');
    expect(status.attempts).toEqual([]);
    expect(cluster.routes.length).toBeGreaterThan(1);
    expect(cluster.submits).toEqual([]);
    expect(cluster.livyCalls).toEqual([]);
    expect(firedTimerSeconds(history)).toEqual([7200]);
    // Two hours passed on the workflow's clock.
    expect(Date.parse(status.finishedAt!) - Date.parse(status.createdAt)).toBeGreaterThanOrEqual(7200_000);
  });

  it('does not fire once a cluster took the job', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [{ runningMs: 3 * 3600_000 }], spec: { timeouts: { queue: '1h' } } });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.posts).toEqual([batchOf(jobId, 1)]);
  });
});

describe('run timeout', () => {
  // The time-skipping server cannot skip time while an activity runs: a real 2-second limit, and batch
  // time at real speed so the batch is still running when it fires.
  it('kills the batch (one DELETE) and ends TIMED_OUT', async () => {
    const { status, cluster, jobId } = await runJob(env, {
      scripts: [{ startingMs: 0, runningMs: 1e12 }, {}],
      spec: { timeouts: { run: 2 } },
      clock: virtualClock(1),
    });

    const a1 = batchOf(jobId, 1);
    expect(status.state).toBe('TIMED_OUT');
    expect(cluster.livyCalls).toEqual([`POST ${a1}`, `DELETE ${a1}`]);
    expect(cluster.kills).toEqual([a1]);
    expect(status.attempts).toHaveLength(1);
    expect(status.attempts[0]).toMatchObject({ outcome: 'TIMED_OUT', batchState: 'running' });
    expect(status.lastError).toMatchObject({ type: 'RunTimeout' });
    expect(Date.parse(status.attempts[0]!.finishedAt!) - Date.parse(status.attempts[0]!.submittedAt!)).toBeGreaterThanOrEqual(2000);
  });

  it('lets a batch that ended just before the deadline keep its real outcome (no DELETE)', async () => {
    // The batch ends at once, but the tracking activity never sees it: only the deadline's look at Livy does.
    const { status, cluster, jobId } = await runJob(env, {
      scripts: [{ startingMs: 0, runningMs: 0, outcome: 'success', endUnseen: true }],
      spec: { timeouts: { run: 2 } },
      clock: virtualClock(1),
    });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.kills).toEqual([batchOf(jobId, 1)]);
    expect(cluster.livyCalls).toEqual([`POST ${batchOf(jobId, 1)}`]);
    expect(status.attempts[0]).toMatchObject({ outcome: 'SUCCEEDED', batchState: 'success' });
  });
});
