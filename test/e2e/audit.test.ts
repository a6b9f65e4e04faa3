/**
 * `shale audit`: a job's timeline, read back from its workflow history by the client and the CLI,
 * for jobs run by a real worker against the dev server and the Livy simulators.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditEntry, AuditEventKind } from '../../client/audit';
import { fetchJobHistories } from '../../client/audit';
import { cancelSignal, generatedJobId, parseJobSpec, specFingerprint, WORKFLOW_TYPE, type JobStatus, type SparkJobInput } from '../../contract';
import { simSpec, startStack, type E2EStack } from '../support/stack';

const SHALE = fileURLToPath(new URL('../../bin/shale', import.meta.url));
let stack: E2EStack;

beforeAll(async () => {
  stack = await startStack('e2e-audit');
});
afterAll(async () => {
  await stack?.teardown();
});

function shale(...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      SHALE,
      args,
      { env: { ...process.env, SHALE_TEMPORAL_ADDRESS: stack.address, SHALE_TEMPORAL_NAMESPACE: stack.namespace, SHALE_TASK_QUEUE: stack.taskQueue }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

function only(entries: AuditEntry[], event: AuditEventKind): AuditEntry[] {
  return entries.filter((e) => e.event === event);
}

function one(entries: AuditEntry[], event: AuditEventKind, attempt?: number): AuditEntry {
  const found = only(entries, event).filter((e) => attempt === undefined || e.attempt === attempt);
  expect(found, `exactly one ${event}${attempt === undefined ? '' : ` for attempt ${attempt}`}`).toHaveLength(1);
  return found[0]!;
}

function states(entries: AuditEntry[]): string[] {
  return only(entries, 'state').map((e) => String(e.details.to));
}

function expectChronological(entries: AuditEntry[]): void {
  const times = entries.map((e) => Date.parse(e.at));
  expect(times.every((t) => Number.isFinite(t))).toBe(true);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

async function runningJob(name: string): Promise<string> {
  const { jobId } = await stack.client.submit(simSpec(name, { 'shale.sim.durationMs': '600000' }));
  await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
  return jobId;
}

/** One job cancelled while RUNNING by an Update from the client (audited just before), shared by the client and CLI tests. */
let cancelled: Promise<{ jobId: string; whileRunning: AuditEntry[] }> | undefined;
function cancelledJob(): Promise<{ jobId: string; whileRunning: AuditEntry[] }> {
  cancelled ??= (async () => {
    const jobId = await runningJob('audit-cancel');
    const whileRunning = await stack.client.audit(jobId);
    const answer = await stack.client.cancel(jobId, { reason: 'wrong input date', requestedBy: 'oncall@example.com' });
    expect(answer).toMatchObject({ accepted: true, state: 'RUNNING' });
    expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('CANCELLED');
    return { jobId, whileRunning };
  })();
  return cancelled;
}

describe('shale audit: the job timeline from workflow history', () => {
  it('shows the submitter, both attempts with their clusters, the app failure, the retry and the end', async () => {
    const labels = { dag_id: 'revenue', task_id: 'daily', run_id: 'scheduled__2026-11-20' };
    const { jobId } = await stack.client.submit(simSpec('audit-flaky', { 'shale.sim.outcomes': 'dead,success' }, { labels }), {
      requestedBy: 'airflow:revenue.daily',
    });
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');

    const timeline = await stack.client.audit(jobId);
    expectChronological(timeline);
    expect(timeline[0]!.event).toBe('submitted');
    expect(timeline.at(-1)!.event).toBe('ended');

    const submitted = one(timeline, 'submitted');
    expect(submitted.actor).toBe('airflow:revenue.daily');
    expect(submitted.details).toMatchObject({ identity: 'e2e-tester@ci', requestedBy: 'airflow:revenue.daily', labels, jobId, name: 'audit-flaky', team: 'e2e' });
    expect(submitted.summary).toContain('submitted by e2e-tester@ci for airflow:revenue.daily');
    expect(submitted.summary).toContain('run_id=scheduled__2026-11-20');

    for (const n of [1, 2]) {
      const routed = one(timeline, 'routed', n);
      expect(routed.details).toMatchObject({ cluster: 'emr6-spark3' });
      expect(routed.summary).toMatch(new RegExp(`^attempt ${n} → emr6-spark3: sparkVersion=3`));
      expect(routed.actor).toBe(`e2e-worker@${stack.taskQueue}`);
      const batch = one(timeline, 'batch-submitted', n);
      expect(batch.details).toMatchObject({ cluster: 'emr6-spark3', batchId: status.attempts[n - 1]!.batchId, batchName: `${jobId}-a${n}`, adopted: false });
    }
    const failed = one(timeline, 'attempt-ended', 1);
    expect(failed.details).toMatchObject({ outcome: 'APP_FAILED', cluster: 'emr6-spark3', batchState: 'dead' });
    expect(failed.details.reason).toBe(status.attempts[0]!.reason);
    expect(failed.summary).toMatch(/^attempt 1 on emr6-spark3 \(batch \d+\): APP_FAILED: the Spark app ended dead/);
    expect(only(timeline, 'batch-state').some((e) => e.attempt === 1 && e.details.to === 'dead')).toBe(true);
    expect(one(timeline, 'attempt-ended', 2).details).toMatchObject({ outcome: 'SUCCEEDED' });

    const retry = one(timeline, 'retry');
    expect(retry.attempt).toBe(2);
    expect(retry.details.backoffSeconds).toBeGreaterThanOrEqual(0);
    expect(retry.details.backoffSeconds).toBeLessThanOrEqual(2);
    const order = (e: AuditEntry) => timeline.indexOf(e);
    expect(order(failed)).toBeLessThan(order(retry));
    expect(order(retry)).toBeLessThan(order(one(timeline, 'routed', 2)));

    const seen = states(timeline);
    expect(seen[0]).toBe('QUEUED');
    expect(seen.at(-1)).toBe('SUCCEEDED');
    expect(seen.filter((s) => s === 'SUBMITTING')).toHaveLength(2);
    expect(seen.indexOf('RETRYING')).toBeGreaterThan(seen.indexOf('RUNNING'));
    expect(seen.lastIndexOf('SUBMITTING')).toBeGreaterThan(seen.indexOf('RETRYING'));

    const ended = one(timeline, 'ended');
    expect(ended.details).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    expect(ended.summary).toBe('SUCCEEDED after 2 attempts');
    expect(only(timeline, 'cancel-requested')).toEqual([]);
  });

  it('shows a running job so far, without an end', async () => {
    const { whileRunning } = await cancelledJob();
    expect(whileRunning.slice(0, 5).map((e) => e.event)).toEqual(['submitted', 'state', 'routed', 'state', 'batch-submitted']);
    expect(whileRunning.slice(5).filter((e) => e.event !== 'state' && e.event !== 'batch-state')).toEqual([]);
    expect(states(whileRunning).at(-1)).toBe('RUNNING');
    expect(one(whileRunning, 'batch-submitted', 1).details).toMatchObject({ cluster: 'emr6-spark3' });
    expect(whileRunning.filter((e) => ['attempt-ended', 'cancel-requested', 'ended'].includes(e.event))).toEqual([]);
  });

  it('shows a cancel by whom, why and how, the kill, and the final state', async () => {
    const { jobId, whileRunning } = await cancelledJob();
    const timeline = await stack.client.audit(jobId);
    // History only grows: what the audit said while the job ran is the start of what it says now.
    expect(timeline.slice(0, whileRunning.length)).toEqual(whileRunning);
    expectChronological(timeline);
    const cancel = one(timeline, 'cancel-requested');
    expect(cancel.actor).toBe('oncall@example.com');
    expect(cancel.details).toMatchObject({
      via: 'update',
      requestedBy: 'oncall@example.com',
      reason: 'wrong input date',
      identity: 'e2e-tester@ci',
      answer: { accepted: true, state: 'RUNNING' },
    });
    expect(cancel.summary).toBe('cancel via update by oncall@example.com (identity e2e-tester@ci): wrong input date — accepted while RUNNING');
    const killed = one(timeline, 'batch-killed', 1);
    expect(killed.details).toMatchObject({ cluster: 'emr6-spark3', stateBefore: 'running', deleted: true });
    const attempt = one(timeline, 'attempt-ended', 1);
    expect(attempt.details).toMatchObject({ outcome: 'CANCELLED', reason: 'cancelled by oncall@example.com: wrong input date' });
    const ended = one(timeline, 'ended');
    expect(ended.details).toMatchObject({ state: 'CANCELLED', cancel: { requestedBy: 'oncall@example.com', via: 'update', reason: 'wrong input date' } });
    expect(ended.summary).toBe('CANCELLED after 1 attempt: cancelled by oncall@example.com via update: wrong input date');
    const order = (e: AuditEntry) => timeline.indexOf(e);
    expect(order(cancel)).toBeLessThan(order(killed));
    expect(order(killed)).toBeLessThan(order(ended));
    expect(states(timeline).slice(-2)).toEqual(['RUNNING', 'CANCELLED']);
  });

  it('shows cancels by signal and by native workflow cancellation, with the identity that sent them', async () => {
    const signalled = await runningJob('audit-signal');
    await stack.client.temporal.workflow.getHandle(signalled).signal(cancelSignal, { reason: 'from a signal', requestedBy: 'oncall' });
    const viaUi = await runningJob('audit-ui-cancel');
    await stack.client.temporal.workflow.getHandle(viaUi).cancel();
    for (const jobId of [signalled, viaUi]) expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('CANCELLED');

    const bySignal = one(await stack.client.audit(signalled), 'cancel-requested');
    expect(bySignal).toMatchObject({ actor: 'oncall', details: { via: 'signal', requestedBy: 'oncall', reason: 'from a signal', identity: 'e2e-tester@ci' } });
    const byUi = await stack.client.audit(viaUi);
    expect(one(byUi, 'cancel-requested')).toMatchObject({ actor: 'e2e-tester@ci', details: { via: 'workflow-cancel', identity: 'e2e-tester@ci' } });
    expect(one(byUi, 'ended').details).toMatchObject({ state: 'CANCELLED', cancel: { via: 'workflow-cancel' } });
  });

  it('follows a continue-as-new chain so the timeline covers every run', async () => {
    const parsed = parseJobSpec({ ...simSpec('audit-chain', { 'shale.sim.durationMs': '1500' }), requestedBy: 'chain-tester' });
    if (!parsed.ok) throw new Error('simSpec is invalid');
    const jobId = generatedJobId('e2e', Date.now(), Math.random);
    // A tiny history limit: the run continues as new while it tracks the batch.
    const input: SparkJobInput = { jobId, spec: parsed.spec, fingerprint: specFingerprint(parsed.spec), options: { historyLimit: 10 } };
    await stack.client.temporal.workflow.start(WORKFLOW_TYPE, { workflowId: jobId, taskQueue: stack.taskQueue, args: [input] });
    const status: JobStatus = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');

    const runs = await fetchJobHistories(stack.client.temporal, jobId);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
    const timeline = await stack.client.audit(jobId);
    expectChronological(timeline);
    expect(only(timeline, 'continued-as-new')).toHaveLength(runs.length - 1);
    expect(new Set(timeline.map((e) => e.runId))).toEqual(new Set(runs.map((r) => r.runId)));
    expect(one(timeline, 'submitted')).toMatchObject({ runId: runs[0]!.runId, actor: 'chain-tester' });
    expect(one(timeline, 'ended')).toMatchObject({ runId: runs.at(-1)!.runId, details: { state: 'SUCCEEDED', attempts: 1 } });
    expect(only(timeline, 'batch-state').map((e) => e.details.to)).toContain('success');
    expect(one(timeline, 'attempt-ended', 1).details).toMatchObject({ outcome: 'SUCCEEDED', cluster: 'emr6-spark3' });
    expect(states(timeline)[0]).toBe('QUEUED');
    expect(states(timeline).at(-1)).toBe('SUCCEEDED');
  });

  it('`shale audit <job>` prints one aligned line per entry, --json the entries, and exit 4 for an unknown job', async () => {
    const { jobId } = await cancelledJob();
    const timeline = await stack.client.audit(jobId);
    const human = await shale('audit', jobId);
    expect({ code: human.code, stderr: human.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(timeline.length + 1);
    expect(lines[0]).toMatch(/^TIME\s+ACTOR\s+EVENT\s+DETAILS$/);
    const eventColumn = lines[0]!.indexOf('EVENT');
    timeline.forEach((entry, i) => {
      const line = lines[i + 1]!;
      expect(line.startsWith(entry.at)).toBe(true);
      expect(line.indexOf(entry.event, eventColumn)).toBe(eventColumn);
      expect(line.endsWith(entry.summary)).toBe(true);
    });
    expect(lines.find((l) => l.includes('cancel-requested'))).toMatch(/oncall@example\.com\s+cancel-requested\s+cancel via update by oncall@example\.com .*: wrong input date/);
    expect(lines.at(-1)).toMatch(/ended\s+CANCELLED after 1 attempt: cancelled by oncall@example\.com via update: wrong input date$/);

    const json = await shale('--json', 'audit', jobId);
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual(timeline);

    const missing = await shale('audit', 'no-such-job');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no job no-such-job/);
  });
});
