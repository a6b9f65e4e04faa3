/**
 * DESIGN.md rule 2: history grows with state changes, not with duration, and the workflow continues
 * as new when history gets long, carrying the job's status across runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { JobStatus } from '../../contract';
import { continuedAsNewTo, runInput, type History } from '../support/history';
import { batchOf, runJob } from '../support/jobHarness';
import { timeSkippingEnv } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('history size of a single-attempt job', () => {
  it.each([
    { label: '1-minute', runningMs: 60_000 },
    { label: '24-hour', runningMs: 24 * 3600_000 },
  ])('$label job: under 60 events', async ({ label, runningMs }) => {
    const { status, cluster, events, jobId } = await runJob(env, { scripts: [{ outcome: 'success', runningMs }] });
    console.log(`history events, ${label} single-attempt job: ${events}`);

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.posts).toEqual([batchOf(jobId, 1)]);
    expect(events).toBeLessThan(60);
  });
});

describe('continue-as-new', () => {
  it('a 24-hour job with historyLimit 20 continues as new, keeps its status across runs, and still ends SUCCEEDED with one POST', async () => {
    const { status, cluster, jobId, handle } = await runJob(env, {
      scripts: [{ outcome: 'success', runningMs: 24 * 3600_000 }],
      options: { historyLimit: 20, trackWindowSeconds: 3600 },
    });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.posts).toEqual([batchOf(jobId, 1)]);
    expect(status.attempts).toHaveLength(1);
    expect(status.attempts[0]).toMatchObject({ n: 1, batchName: batchOf(jobId, 1), batchId: 0, outcome: 'SUCCEEDED', adopted: false });

    // Walk the chain of runs from the first one.
    const runs: History[] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      const history = await env.client.workflow.getHandle(jobId, runId).fetchHistory();
      runs.push(history);
      runId = continuedAsNewTo(history);
    }
    const sizes = runs.map((h) => h.events?.length ?? 0);
    console.log(`continue-as-new, 24-hour job, historyLimit 20, 1-hour windows: ${runs.length} runs, events per run ${sizes.join(', ')}`);

    expect(runs.length).toBeGreaterThan(1);
    // Each run stops soon after the limit: one wait (activity + workflow task) past it at most.
    for (const size of sizes) expect(size).toBeLessThan(20 + 10);

    // Every later run starts from the status the previous one had: same job, same attempt, same batch.
    const first = runInput(runs[0]!);
    expect(first.resume).toBeUndefined();
    let previous: JobStatus | undefined;
    for (const run of runs.slice(1)) {
      const resume = runInput(run).resume;
      expect(resume?.status).toBeDefined();
      const carried = resume!.status;
      expect(carried.createdAt).toBe(status.createdAt);
      expect(['STARTING', 'RUNNING']).toContain(carried.state);
      expect(carried.attempts).toHaveLength(1);
      expect(carried.attempts[0]).toMatchObject({ batchName: batchOf(jobId, 1), batchId: 0, submittedAt: status.attempts[0]!.submittedAt });
      expect(carried.attempts[0]!.outcome).toBeUndefined();
      expect(resume!.tracking?.ref).toMatchObject({ batchName: batchOf(jobId, 1), batchId: 0 });
      if (previous) expect(Date.parse(carried.updatedAt)).toBeGreaterThanOrEqual(Date.parse(previous.updatedAt));
      previous = carried;
    }
    // The batch went RUNNING in one run and the status kept saying so in the next ones.
    expect(runs.slice(1).some((run) => runInput(run).resume!.status.state === 'RUNNING')).toBe(true);
    expect(status.attempts[0]!.startedAt).toBe(runs.map((r) => runInput(r).resume?.status.attempts[0]?.startedAt).find(Boolean));
  });
});
