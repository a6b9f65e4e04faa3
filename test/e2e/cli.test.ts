import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { stringify as toYaml } from 'yaml';
import type { JobStatus } from '../../contract';
import { simSpec, startStack, type E2EStack } from '../support/stack';

const SHALE = fileURLToPath(new URL('../../bin/shale', import.meta.url));
let stack: E2EStack;
let dir: string;

beforeAll(async () => {
  stack = await startStack('e2e-cli');
  dir = await mkdtemp(join(tmpdir(), 'shale-cli-'));
});
afterAll(async () => {
  await stack?.teardown();
});

function run(command: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function shale(...args: string[]) {
  return run(SHALE, args, { SHALE_TEMPORAL_ADDRESS: stack.address, SHALE_TEMPORAL_NAMESPACE: stack.namespace, SHALE_TASK_QUEUE: stack.taskQueue });
}

async function specFile(name: string, spec: object, format: 'yaml' | 'json' = 'yaml'): Promise<string> {
  const path = join(dir, `${name}.${format}`);
  await writeFile(path, format === 'yaml' ? toYaml(spec) : JSON.stringify(spec));
  return path;
}

describe('the shale CLI end to end', () => {
  it('submit --wait runs a YAML spec to SUCCEEDED, shows progress on stderr and exits 0', async () => {
    const file = await specFile('ok', { ...simSpec('cli-ok'), team: 'e2e-cli' });
    const result = await shale('--json', 'submit', file, '--wait');
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as JobStatus;
    expect(status.state).toBe('SUCCEEDED');
    expect(result.stderr).toContain(status.jobId);
    expect(result.stderr).toMatch(/SUCCEEDED {2}attempt 1 {2}emr6-spark3 {2}livy:success/);
    const shown = await shale('status', status.jobId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/state\s+SUCCEEDED/);
    expect(shown.stdout).toContain('emr6-spark3');
  });

  it('refuses an invalid spec with field-level errors, exit 2, and starts nothing', async () => {
    const file = await specFile('bad', { ...simSpec('cli-bad'), team: 'e2e-cli', size: 'HUGE', conf: { 'spark.hadoop.fs.s3a.secret.key': 'x' } }, 'json');
    const result = await shale('submit', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/size: /);
    expect(result.stderr).toMatch(/conf\.spark\.hadoop\.fs\.s3a\.secret\.key: looks like a credential/);
    expect(result.stderr).not.toMatch(/"x"/);
    expect(await stack.client.list({ name: 'cli-bad' })).toEqual([]);
  });

  it('cancels a running job; wait then exits 3 (CANCELLED)', async () => {
    const submitted = await shale('submit', '--team', 'e2e-cli', '--name', 'cli-long', '--kind', 'pyspark', '--file', 's3://b/app.py',
      '--spark-version', '3', '--conf', 'shale.sim.durationMs=600000');
    expect(submitted.code).toBe(0);
    const jobId = submitted.stdout.trim();
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    const cancelled = await shale('--json', 'cancel', jobId, '--reason', 'backfill superseded');
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ accepted: true, state: 'RUNNING' });
    const waited = await shale('wait', jobId);
    expect(waited.code).toBe(3);
    expect(waited.stdout).toMatch(/backfill superseded/);
    expect(stack.spark3.requests({ method: 'DELETE', name: `${jobId}-a1` })).toHaveLength(1);
  });

  it('two `shale cancel`s at once both exit 0, one accepted; repeating a request by --request-id after the end gets its first answer', async () => {
    const { jobId } = await stack.client.submit({ ...simSpec('cli-double-cancel', { 'shale.sim.durationMs': '600000' }), team: 'e2e-cli' });
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    const [a, b] = await Promise.all([
      shale('--json', 'cancel', jobId, '--reason', 'first', '--request-id', 'cli-req-a'),
      shale('--json', 'cancel', jobId, '--reason', 'second', '--request-id', 'cli-req-b'),
    ]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const answers = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as { accepted: boolean; requestId: string }[];
    expect(answers.map((x) => x.requestId)).toEqual(['cli-req-a', 'cli-req-b']);
    expect(answers.filter((x) => x.accepted)).toHaveLength(1);
    expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('CANCELLED');
    const winner = answers.find((x) => x.accepted)!;
    const again = await shale('--json', 'cancel', jobId, '--request-id', winner.requestId);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: true, state: 'RUNNING', requestId: winner.requestId });
    expect(stack.spark3.requests({ method: 'DELETE', name: `${jobId}-a1` })).toHaveLength(1);
  });

  it('cancels through `temporal workflow signal` too', async () => {
    const { jobId } = await stack.client.submit({ ...simSpec('cli-signal', { 'shale.sim.durationMs': '600000' }), team: 'e2e-cli' });
    await vi.waitFor(async () => expect((await stack.client.status(jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    const signalled = await run(inject('tools').temporal, [
      'workflow', 'signal', '--address', stack.address, '--namespace', stack.namespace, '--workflow-id', jobId, '--name', 'cancel',
      '--input', JSON.stringify({ reason: 'from the temporal CLI', requestedBy: 'oncall' }),
    ]);
    expect(signalled.code).toBe(0);
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('CANCELLED');
    expect(status.cancel).toMatchObject({ via: 'signal', requestedBy: 'oncall', reason: 'from the temporal CLI' });
  });

  it('lists jobs by team and state, and says when a job does not exist (exit 4)', async () => {
    await vi.waitFor(async () => {
      const listed = await shale('--json', 'list', '--team', 'e2e-cli', '--state', 'SUCCEEDED');
      expect(listed.code).toBe(0);
      const jobs = JSON.parse(listed.stdout) as { name: string; state: string }[];
      expect(jobs.map((j) => j.name)).toContain('cli-ok');
      expect(jobs.every((j) => j.state === 'SUCCEEDED')).toBe(true);
    }, { timeout: 20_000, interval: 500 });
    const missing = await shale('status', 'no-such-job');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no job no-such-job/);
  });

  it('follows a running job\'s Livy log to the end, and falls back to the tail Shale kept once Livy forgets the batch', async () => {
    const { jobId } = await stack.client.submit({ ...simSpec('cli-logs', { 'shale.sim.durationMs': '1500', 'shale.sim.logLines': '30' }), team: 'e2e-cli' });
    const followed = await shale('logs', jobId, '--follow');
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain(`line 1 of ${jobId}-a1`);
    expect(followed.stdout).toContain(`line 30 of ${jobId}-a1`);
    // Each line once, even though the log was read while it grew.
    expect(followed.stdout.split('\n').filter((l) => l.includes(`line 7 of ${jobId}-a1`))).toHaveLength(1);

    const fromLivy = await shale('--json', 'logs', jobId);
    expect(JSON.parse(fromLivy.stdout)).toMatchObject({ source: 'livy', attempt: 1 });

    // Livy forgets everything on a restart without state: the tail Shale kept is what is left.
    await stack.spark3.restart({ keepState: false });
    const kept = await shale('--json', 'logs', jobId);
    const chunk = JSON.parse(kept.stdout) as { source: string; lines: string[] };
    expect(chunk.source).toBe('shale');
    expect(chunk.lines.at(-1)).toContain(`line 30 of ${jobId}-a1`);
  });

  it('admin setup registers the search attributes idempotently', async () => {
    const result = await shale('--json', 'admin', 'setup');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ added: [] });
  });
});

