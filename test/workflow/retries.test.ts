/**
 * DESIGN.md rule 3: app and infra failures have separate retry budgets (defaults app 1, infra 3),
 * fatal failures end the job at once, and the backoff between attempts is exponential with full
 * jitter and a cap, computed inside the workflow so it replays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { JobStatus } from '../../contract';
import type { AttemptScript } from '../support/fakeActivities';
import { firedTimerSeconds } from '../support/history';
import { batchOf, runJob, withJob } from '../support/jobHarness';
import { timeSkippingEnv, workflowBundle } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const appFails: AttemptScript = { outcome: 'dead' };
const lost: AttemptScript = { outcome: 'lost' };
const succeeds: AttemptScript = { outcome: 'success' };
/** What Livy's YARN monitor logs when it never finds the app it submitted: the cluster's fault, not the app's. */
const yarnNeverSawIt: AttemptScript = {
  outcome: 'dead',
  log: [
    'stdout: ',
    'No YARN application is found with tag analytics-daily-a1 in 120 seconds. This may be because 1) spark-submit fail to submit ' +
      "application to YARN; or 2) YARN cluster doesn't have enough resources to start the application in time. Please check Livy log and YARN log to know the details.",
  ],
};

function names(jobId: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => batchOf(jobId, i + 1));
}

describe('app failures', () => {
  it('retries an app failure as attempt 2, which succeeds: -a1, -a2, one POST each', async () => {
    const { status, cluster, jobId, history } = await runJob(env, { scripts: [appFails, succeeds] });

    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts.map((a) => a.batchName)).toEqual(names(jobId, 2));
    expect(cluster.posts).toEqual(names(jobId, 2));
    expect(status.attempts[0]).toMatchObject({ n: 1, outcome: 'APP_FAILED', batchState: 'dead' });
    expect(status.attempts[0]!.reason).toContain('User application exited with status 1');
    expect(status.attempts[1]).toMatchObject({ n: 2, outcome: 'SUCCEEDED', batchState: 'success', adopted: false });
    expect(status.budgets).toMatchObject({ appFailures: 1, infraFailures: 0 });
    expect(firedTimerSeconds(history)).toHaveLength(1);
  });

  it.each([
    { app: 0, attempts: 1, label: '0' },
    { app: 1, attempts: 2, label: '1 (default)' },
    { app: 2, attempts: 3, label: '2' },
  ])('with retry.app = $label, ends FAILED after $attempts attempt(s), the last error an app failure', async ({ app, attempts }) => {
    const scripts = [...Array<AttemptScript>(attempts).fill(appFails), succeeds];
    const { status, cluster, jobId } = await runJob(env, { scripts, spec: { retry: { app, initialBackoff: 10 } } });

    expect(status.state).toBe('FAILED');
    expect(cluster.posts).toEqual(names(jobId, attempts));
    expect(status.attempts.map((a) => a.outcome)).toEqual(Array(attempts).fill('APP_FAILED'));
    expect(status.lastError).toMatchObject({ type: 'AppFailed', class: 'app' });
    expect(status.budgets).toMatchObject({ appFailures: attempts, appRetries: app, infraFailures: 0 });
  });
});

describe('infra failures', () => {
  it.each([
    // 5xx and dropped connections are retried inside the attempt (fencing.test.ts) until the deployment's
    // failover bound; past it the submission is given up on and counts against the infra budget.
    // Capacity answers are back-pressure, never a failure (fencing.test.ts).
    { cause: 'submission given up on past the failover bound', script: { submitError: 'LivyUnreachable' }, type: 'LivyUnreachable', submitsPerAttempt: 1, posts: false },
    { cause: 'batch lost mid-run', script: lost, type: 'BatchLost', submitsPerAttempt: 1, posts: true },
  ])('$cause: default infra budget, 3 retries = 4 attempts, then FAILED', async ({ script, type, submitsPerAttempt, posts }) => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [...Array<AttemptScript>(4).fill(script), succeeds] });

    expect(status.state).toBe('FAILED');
    expect(status.attempts.map((a) => a.batchName)).toEqual(names(jobId, 4));
    expect(status.attempts.map((a) => a.outcome)).toEqual(Array(4).fill('INFRA_FAILED'));
    expect(status.lastError).toMatchObject({ type, class: 'infra' });
    expect(status.budgets).toMatchObject({ appFailures: 0, appRetries: 1, infraFailures: 4, infraRetries: 3 });
    expect(cluster.submits).toHaveLength(4 * submitsPerAttempt);
    expect(cluster.posts).toEqual(posts ? names(jobId, 4) : []);
  });

  it('infra failures do not use the app budget (retry.app = 0)', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [lost, lost, lost, succeeds], spec: { retry: { app: 0 } } });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.posts).toEqual(names(jobId, 4));
    expect(status.budgets).toMatchObject({ appFailures: 0, infraFailures: 3 });
  });

  it('app failures do not use the infra budget (retry.infra = 0)', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [appFails, succeeds], spec: { retry: { infra: 0 } } });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.posts).toEqual(names(jobId, 2));
    expect(status.budgets).toMatchObject({ appFailures: 1, infraFailures: 0 });
  });

  it('counts each class against its own budget when they interleave', async () => {
    const ok = await runJob(env, { scripts: [lost, appFails, lost, lost, succeeds] });
    expect(ok.status.state).toBe('SUCCEEDED');
    expect(ok.status.attempts.map((a) => a.outcome)).toEqual(['INFRA_FAILED', 'APP_FAILED', 'INFRA_FAILED', 'INFRA_FAILED', 'SUCCEEDED']);
    expect(ok.status.budgets).toMatchObject({ appFailures: 1, infraFailures: 3 });

    const failed = await runJob(env, { scripts: [lost, appFails, lost, appFails, succeeds] });
    expect(failed.status.state).toBe('FAILED');
    expect(failed.status.attempts).toHaveLength(4);
    expect(failed.status.lastError).toMatchObject({ class: 'app' });
    expect(failed.status.budgets).toMatchObject({ appFailures: 2, infraFailures: 2 });
  });

  it('"No YARN application is found with tag" in a dead batch\'s log is an infra failure, not an app failure', async () => {
    const { status, cluster, jobId } = await runJob(env, { scripts: [yarnNeverSawIt, succeeds], spec: { retry: { app: 0 } } });

    expect(status.state).toBe('SUCCEEDED');
    expect(cluster.posts).toEqual(names(jobId, 2));
    expect(status.attempts[0]).toMatchObject({ batchState: 'dead', outcome: 'INFRA_FAILED' });
    expect(status.lastError).toMatchObject({ type: 'BatchLost', class: 'infra' });
    expect(status.lastError!.message).toContain('No YARN application is found with tag');
    expect(status.budgets).toMatchObject({ appFailures: 0, infraFailures: 1 });

    // The same death without that line is the app's: with retry.app = 0 the job ends there.
    const control = await runJob(env, { scripts: [appFails, succeeds], spec: { retry: { app: 0 } } });
    expect(control.status.state).toBe('FAILED');
    expect(control.status.attempts[0]!.outcome).toBe('APP_FAILED');
  });
});

describe('fatal failures', () => {
  it.each(['LivyBadRequest', 'LivyAuth'])('%s on submit: FAILED at once, one attempt, one try, no backoff', async (type) => {
    const { status, cluster, jobId, history } = await runJob(env, { scripts: [{ submitError: type }, succeeds] });

    expect(status.state).toBe('FAILED');
    expect(status.attempts).toHaveLength(1);
    expect(status.attempts[0]).toMatchObject({ batchName: batchOf(jobId, 1), outcome: 'FATAL' });
    expect(status.lastError).toMatchObject({ type, class: 'fatal' });
    expect(status.budgets).toMatchObject({ appFailures: 0, infraFailures: 0 });
    expect(cluster.submits).toEqual([batchOf(jobId, 1)]);
    expect(cluster.posts).toEqual([]);
    expect(firedTimerSeconds(history)).toEqual([]);
  });
});

describe('backoff', () => {
  it('is capped at retry.maxBackoff: nextAttemptAt - now <= maxBackoff, and it is the timer the workflow sleeps', async () => {
    // Six retries at 10s doubling would reach 320s uncapped; full jitter under a 20s cap stays within 20s.
    const spec = { retry: { infra: 6, initialBackoff: 10, maxBackoff: 20 } };
    const scripts = [...Array<AttemptScript>(6).fill(lost), succeeds];
    await withJob(env, { scripts, spec }, async (job) => {
      const seen: JobStatus[] = [];
      for (let failures = 1; failures <= 6; failures++) {
        const retrying = await job.waitForStatus(
          (s) => s.state === 'RETRYING' && s.budgets.infraFailures === failures,
          `RETRYING after failure ${failures}`,
        );
        seen.push(retrying);
        // Skip the server's clock past the backoff timer.
        await env.sleep(Date.parse(retrying.nextAttemptAt!) - Date.parse(retrying.updatedAt));
      }
      const status = await job.result();
      expect(status.state).toBe('SUCCEEDED');
      expect(status.attempts).toHaveLength(7);

      const delays = seen.map((s) => (Date.parse(s.nextAttemptAt!) - Date.parse(s.updatedAt)) / 1000);
      console.log(`backoff delays (s), initialBackoff 10, maxBackoff 20: ${delays.join(', ')}`);
      delays.forEach((delay, i) => {
        expect(delay).toBeGreaterThanOrEqual(1);
        expect(delay).toBeLessThanOrEqual(Math.min(20, 10 * 2 ** i));
      });
      expect(firedTimerSeconds(await job.history())).toEqual(delays);
    });
  });

  it('is deterministic: the history of a job with app and infra retries replays against the workflow code', async () => {
    const { status, history, jobId } = await runJob(env, { scripts: [appFails, lost, lost, succeeds] });
    expect(status.state).toBe('SUCCEEDED');
    expect(firedTimerSeconds(history)).toHaveLength(3);

    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, jobId)).resolves.toBeUndefined();
  });
});
