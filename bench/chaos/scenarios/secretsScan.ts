/**
 * Issue 9 item 7: the Livy credential (SHALE_LIVY_AUTH) is used by the worker and written nowhere
 * else. Jobs that succeed, fail in the app, are refused by Livy and are cancelled; then an operator
 * (without the credential) runs the CLI on them. Every history, status, worker log and CLI output is
 * scanned (every scenario scans its own histories, statuses and worker logs too).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster } from '../harness/scenario';
import { SECRET_ENV } from '../harness/secrets';
import { chaosSpec, isRunning, waitForJob } from './common';
import { until } from '../../pacing';

const SHALE_CLI = fileURLToPath(new URL('../../../bin/shale', import.meta.url));
const run = promisify(execFile);

export const secretsScan: ScenarioDefinition = {
  name: 'secrets-scan',
  what: 'the Livy credential in no history, status, worker log or CLI output (item 7)',
  drainTimeoutMs: () => 60_000,
  async run(ctx) {
    const sim = await ctx.livy('secrets');
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('secrets', sim)]));
    const ok = await ctx.submit(chaosSpec('secret-ok', { 'shale.sim.logLines': '50' }), { label: 'succeeds', expect: ['SUCCEEDED'] });
    const dead = await ctx.submit(chaosSpec('secret-dead', { 'shale.sim.outcome': 'dead' }, { retry: { app: 0, initialBackoff: 1, maxBackoff: 2 } }), { label: 'app fails', expect: ['FAILED'] });
    // The simulator refuses a conf it cannot read: the failure travels through the Livy client's error path.
    const refused = await ctx.submit(chaosSpec('secret-refused', { 'shale.sim.outcome': 'exploded' }), { label: 'Livy answers 400', expect: ['FAILED'] });
    const cancelled = await ctx.submit(chaosSpec('secret-cancel', { 'shale.sim.durationMs': '600000' }), { label: 'cancelled', expect: ['CANCELLED'] });
    await waitForJob(ctx, cancelled, 'RUNNING', isRunning, 30_000);
    await ctx.client.cancel(cancelled, { reason: 'chaos: secrets', requestedBy: 'auditor' });
    // The ones most likely to carry an error text first.
    const ids = [refused, cancelled, dead, ok];
    await until('the four jobs to end', async () => (await Promise.all(ids.map((id) => ctx.handle(id).describe()))).every((d) => d.status.name !== 'RUNNING'), 60_000, 250);

    // The credential is really in use: every request Shale made carried it (the foreign client's carry none).
    const requests = sim.requests().filter((r) => !ctx.foreignNames.has(r.batchName ?? ''));
    ctx.check('every Livy request carried the credential', requests.length > 0 && requests.every((r) => r.hasAuth), `${requests.filter((r) => !r.hasAuth).length} of ${requests.length} without it`);

    // An operator's machine: the CLI without the credential in its environment.
    const env: NodeJS.ProcessEnv = { ...process.env, SHALE_TEMPORAL_ADDRESS: ctx.stack.address, SHALE_TASK_QUEUE: ctx.taskQueue };
    delete env[SECRET_ENV];
    // Each command once (human output; status also as JSON): every CLI start costs a couple of seconds.
    const commands = [
      ...ids.slice(0, ctx.size.secrets.cliJobs).flatMap((id) => [['status', id], ['--json', 'status', id], ['audit', id], ['logs', id]]),
      ['list', '--limit', '20'],
    ];
    for (const argv of commands) {
      try {
        const { stdout, stderr } = await run(SHALE_CLI, argv, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
        ctx.scan(`cli ${argv.join(' ')}`, stdout + stderr);
      } catch (err) {
        // A non-zero exit is how the CLI reports a failed or cancelled job: its output is scanned all the same.
        const e = err as { stdout?: string; stderr?: string; code?: number; killed?: boolean };
        ctx.scan(`cli ${argv.join(' ')}`, `${e.stdout ?? ''}${e.stderr ?? ''}`);
        ctx.check('CLI ran', !e.killed && typeof e.code === 'number', `shale ${argv.join(' ')}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    ctx.check('CLI ran', true);
  },
};
