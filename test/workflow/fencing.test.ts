/**
 * DESIGN.md rule 5 (issue 9, items 1–3 and 8): at most one live attempt per job, ever. An attempt
 * that ended without Shale seeing its batch's final state is fenced (killed by name, or handed to
 * a sweeper when its cluster does not answer) before the next one is POSTed; an unreachable
 * cluster is waited for, not lost; a batch Livy forgot is looked up on YARN and its outcome taken;
 * Livy's capacity answer is back-pressure, not a failure.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { activitiesScheduled } from '../support/history';
import { batchOf, runJob, withJob } from '../support/jobHarness';
import { timeSkippingEnv } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('never two live attempts', () => {
  it('a Livy given up on past the bound: attempt 1 is killed by name before attempt 2 is POSTed', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [{ waitError: 'LivyUnreachable', runningMs: 1e12 }, { outcome: 'success' }] });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.livyCalls).toEqual([`POST ${batchOf(jobId, 1)}`, `DELETE ${batchOf(jobId, 1)}`, `POST ${batchOf(jobId, 2)}`]);
    expect(status.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED', fence: 'killed' });
    // Unreachable is unhealthy, not lost: the cluster may be routed to again.
    expect(status.lostClusters ?? []).toEqual([]);
  });

  it('EMR says the cluster is going away while its Livy still answers: attempt 1 is killed by name before attempt 2', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [{ waitError: 'ClusterLost', runningMs: 1e12 }, { outcome: 'success' }] });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.livyCalls).toEqual([`POST ${batchOf(jobId, 1)}`, `DELETE ${batchOf(jobId, 1)}`, `POST ${batchOf(jobId, 2)}`]);
    expect(status.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED', fence: 'killed' });
    expect(status.lostClusters).toEqual(['fake']);
  });

  it('a kill its cluster does not answer goes to a sweeper workflow, started before attempt 2 is POSTed', async () => {
    await withJob(env, { scripts: [{ waitError: 'LivyUnreachable', killUnreachable: true, runningMs: 1e12 }, { outcome: 'success' }] }, async (job) => {
      const status = await job.result();

      expect(status.state).toBe('SUCCEEDED');
      expect(status.attempts[0]).toMatchObject({ outcome: 'INFRA_FAILED', fence: 'sweeper' });
      const sweeper = env.client.workflow.getHandle(`${job.jobId}-sweep-a1`);
      const description = await sweeper.describe();
      expect(description.type).toBe('sweepBatch');
      // The sweeper outlives the job and keeps trying to kill attempt 1 by name.
      expect(description.status.name).toBe('RUNNING');
      const started = description.startTime.getTime();
      const attempt2 = Date.parse(status.attempts[1]!.submittedAt!);
      expect(started).toBeLessThanOrEqual(attempt2);
      await sweeper.terminate('test over');
    });
  });

  it('a submission Livy answered 400 leaves no batch behind: the attempt is fenced by name, the job fails with the reason', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [{ submitError: 'LivyBadRequest' }] });

    expect(status.state).toBe('FAILED');
    expect(status.lastError).toMatchObject({ type: 'LivyBadRequest', class: 'fatal' });
    expect(cluster.kills).toEqual([batchOf(jobId, 1)]);
    expect(status.attempts[0]!.fence).toBe('gone');
  });
});

describe('an unreachable cluster is unhealthy, not lost', () => {
  it('a 25 s outage right after routing: the submission is retried on the same attempt and the job succeeds with one POST', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [{ submitUnreachableTries: 4, outcome: 'success' }] });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.posts).toEqual([batchOf(jobId, 1)]);
    expect(cluster.submits).toHaveLength(5);
    expect(status.attempts).toHaveLength(1);
    expect(status.budgets.infraFailures).toBe(0);
    expect(status.lostClusters ?? []).toEqual([]);
  });

  it('a Livy that never answers: the job waits for it until timeouts.queue, then TIMED_OUT; the attempt is fenced', async () => {
    const { status, cluster } = await runJob(env, { scripts: [{ submitUnreachableTries: 1e9 }], spec: { timeouts: { queue: '10m' } } });

    expect(status.state).toBe('TIMED_OUT');
    expect(status.lastError?.type).toBe('QueueTimeout');
    expect(cluster.posts).toEqual([]);
    expect(status.attempts[0]!.fence).toBe('gone');
  });
});

describe('a batch Livy forgot while no worker watched (rule 5)', () => {
  it.each([
    { yarn: 'success' as const, state: 'SUCCEEDED', posts: 1 },
    { yarn: 'dead' as const, state: 'SUCCEEDED', posts: 2 },
    // Killed as Livy lost it (a Livy stop kills its apps): an infra failure, retried.
    { yarn: 'killed' as const, state: 'SUCCEEDED', posts: 2 },
  ])('YARN says the app ended $yarn: that is the attempt outcome ($posts POST(s))', async ({ yarn, state, posts }) => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [{ outcome: 'lost', yarnOutcome: yarn }, { outcome: 'success' }] });

    expect(status.state).toBe(state);
    expect(cluster.posts).toEqual(Array.from({ length: posts }, (_, i) => batchOf(jobId, i + 1)));
    expect(status.attempts[0]).toMatchObject({ source: 'yarn', batchState: yarn });
    if (yarn === 'dead') expect(status.attempts[0]!.outcome).toBe('APP_FAILED');
    if (yarn === 'killed') expect(status.attempts[0]!.outcome).toBe('INFRA_FAILED');
  });
});

describe("Livy's capacity answer is back-pressure", () => {
  it('four "too many sessions" answers: the same attempt is tried again after a backoff, no retry budget used, one POST', async () => {
    const { status, cluster, jobId, history } = await runJob(env, { scripts: [{ capacityRefusals: 4, outcome: 'success' }] });

    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts).toHaveLength(1);
    expect(status.budgets).toMatchObject({ appFailures: 0, infraFailures: 0 });
    expect(cluster.posts).toEqual([batchOf(jobId, 1)]);
    expect(cluster.livyCalls.filter((c) => c.startsWith('REFUSED'))).toHaveLength(4);
    expect(activitiesScheduled(history).filter((a) => a === 'submitBatch')).toHaveLength(5);
  });

  it('refused until timeouts.queue: TIMED_OUT, not FAILED, and nothing to fence', async () => {
    const { status, cluster } = await runJob(env, { scripts: [{ capacityRefusals: 1e9 }], spec: { timeouts: { queue: '5m' } } });

    expect(status.state).toBe('TIMED_OUT');
    expect(cluster.posts).toEqual([]);
    expect(cluster.kills).toEqual([]);
  });
});

describe('cancelling a tracked batch', () => {
  it('kills it at once and completes only after the wait activity has wound down', async () => {
    await withJob(env, { scripts: [{ runningMs: 1e12 }] }, async (job) => {
      await job.waitForStatus('RUNNING');
      await job.handle.signal('cancel', { reason: 'stop', requestedBy: 'ops' });
      const status = await job.result();

      expect(status.state).toBe('CANCELLED');
      expect(job.cluster.deletes).toEqual([batchOf(job.jobId, 1)]);
      await vi.waitFor(async () => {
        const history = await job.history();
        // No activity is still open when the workflow completes: every scheduled one has a closing event.
        const scheduled = activitiesScheduled(history).length;
        const closed = (history.events ?? []).filter((e) =>
          [e.activityTaskCompletedEventAttributes, e.activityTaskFailedEventAttributes, e.activityTaskCanceledEventAttributes, e.activityTaskTimedOutEventAttributes].some(Boolean),
        ).length;
        expect(closed).toBe(scheduled);
      });
    });
  });
});
