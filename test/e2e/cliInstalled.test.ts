/**
 * The shale CLI as an operator installs it: the compiled build (dist/), run through a symlink on
 * PATH from a directory outside the repository, with Temporal found through the environment.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { simSpec, startStack, type E2EStack } from '../support/stack';
import { uniqueTaskQueue } from '../support/workflowEnv';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let stack: E2EStack;
let home: string;
let binDir: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a shell outside the repository: no Temporal or Shale settings but the ones given. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|SHALE_)/.test(k)));
  return { ...env, HOME: home, PATH: `${binDir}:${process.env.PATH}`, ...extra };
}

function run(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** `shale …` typed in a shell whose working directory is outside the repository. */
function shale(args: string[], env: Record<string, string> = { SHALE_TEMPORAL_ADDRESS: stack.address, SHALE_TEMPORAL_NAMESPACE: stack.namespace, SHALE_TASK_QUEUE: stack.taskQueue }) {
  return run('shale', args, { cwd: home, env: cleanEnv(env) });
}

const RAN_FROM_SOURCE = /running from source/;

beforeAll(async () => {
  stack = await startStack('e2e-cli-path');
  const built = await run('npm', ['run', '-s', 'build'], { cwd: ROOT, env: process.env });
  expect(built.code, built.stderr).toBe(0);
  home = await mkdtemp(join(tmpdir(), 'shale-installed-'));
  binDir = join(home, 'bin');
  await mkdir(binDir);
  await symlink(join(ROOT, 'bin', 'shale'), join(binDir, 'shale'));
}, 120_000);
afterAll(async () => {
  await stack?.teardown();
});

describe('the installed shale CLI', () => {
  it('runs the compiled build from outside the repository through a symlink on PATH, shale api included', async () => {
    const help = await shale(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: shale \[options\] \[command\]/);
    expect(help.stdout).toMatch(/rerun \[options\] <job>/);
    expect(help.stderr).not.toMatch(RAN_FROM_SOURCE);
    const api = await shale(['api', '--help']);
    expect(api).toMatchObject({ code: 0, stdout: expect.stringMatching(/usage: shale api --config <file>/) });
    const missing = await shale(['status', 'no-such-job']);
    expect(missing).toMatchObject({ code: 4, stdout: '', stderr: 'shale: no job no-such-job\n' });
  });

  it('J=$(shale submit …) holds the job ID alone, a repeated submit too (its note goes to stderr)', async () => {
    const spec = join(home, 'ok.yaml');
    await writeFile(spec, toYaml({ ...simSpec('cli-path-ok'), team: 'e2e-cli' }));
    const script = 'J=$(shale submit ok.yaml --key path-ok) && K=$(shale submit ok.yaml --key path-ok) && echo "J=$J K=$K"';
    const shell = await run('bash', ['-c', script], { cwd: home, env: cleanEnv({ SHALE_TEMPORAL_ADDRESS: stack.address, SHALE_TEMPORAL_NAMESPACE: stack.namespace, SHALE_TASK_QUEUE: stack.taskQueue }) });
    expect(shell.code, shell.stderr).toBe(0);
    const [, j, k] = /^J=(\S+) K=(\S+)\n$/.exec(shell.stdout) ?? [];
    expect(j).toMatch(/^e2e-cli-/);
    expect(k).toBe(j);
    expect(shell.stderr).toBe(`shale: job ${j} was already submitted with this key; returning it as it is\n`);
    const waited = await shale(['wait', j!]);
    expect(waited.code).toBe(0);
    // A job that succeeded is not run again by hand either: a usage error naming why.
    const rerun = await shale(['rerun', j!]);
    expect(rerun.code).toBe(2);
    expect(rerun.stderr).toMatch(/ended SUCCEEDED; only a job whose latest run ended FAILED, CANCELLED or TIMED_OUT can be rerun/);
  });

  it('the same key after a FAILED end starts a new run and says so on stderr; shale rerun does it by hand', async () => {
    const spec = join(home, 'fails.yaml');
    await writeFile(spec, toYaml({ ...simSpec('cli-path-fails', { 'shale.sim.outcome': 'dead' }, { retry: { app: 0, initialBackoff: 1, maxBackoff: 1 } }), team: 'e2e-cli' }));
    const first = await shale(['submit', spec, '--key', 'path-fails']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const jobId = first.stdout.trim();
    expect((await shale(['wait', jobId])).code).toBe(1);

    const again = await shale(['submit', spec, '--key', 'path-fails']);
    expect(again).toMatchObject({ code: 0, stdout: `${jobId}\n` });
    expect(again.stderr).toBe(`shale: job ${jobId} had ended without succeeding; this key started a new run of it\n`);
    expect((await shale(['wait', jobId])).code).toBe(1);

    const byHand = await shale(['--json', 'rerun', jobId]);
    expect(byHand.code).toBe(0);
    expect(JSON.parse(byHand.stdout)).toMatchObject({ jobId, created: true, rerun: true });
    expect(byHand.stderr).toBe(`shale: started a new run of job ${jobId}\n`);
    expect((await shale(['wait', jobId])).code).toBe(1);
    // Three runs, each with its own batch.
    expect(stack.spark3.requests({ method: 'POST' }).filter((r) => r.batchName?.startsWith(`${jobId}-a`)).length).toBe(3);
  });

  it("reaches Temporal through a profile of Temporal's config file, and --address beats it", async () => {
    const toml = join(home, 'temporal.toml');
    await writeFile(toml, ['[profile.dev]', `address = "${stack.address}"`, `namespace = "${stack.namespace}"`, '', '[profile.default]', 'address = "127.0.0.1:1"'].join('\n'));
    const env = { TEMPORAL_CONFIG_FILE: toml, SHALE_TASK_QUEUE: stack.taskQueue };
    expect(await shale(['--profile', 'dev', 'status', 'no-such-job'], env)).toMatchObject({ code: 4, stderr: 'shale: no job no-such-job\n' });
    expect(await shale(['status', 'no-such-job'], { ...env, TEMPORAL_PROFILE: 'dev' })).toMatchObject({ code: 4 });
    expect(await shale(['--address', stack.address, 'status', 'no-such-job'], env)).toMatchObject({ code: 4 }); // the default profile points nowhere
    const unknown = await shale(['--profile', 'prod', 'status', 'no-such-job'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cannot use Temporal profile prod from .*temporal\.toml/);
  });

  it("says which address it could not reach, and where that address came from (exit 10)", async () => {
    const result = await shale(['status', 'some-job'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/^shale: cannot reach Temporal at 127\.0\.0\.1:1 \(address from TEMPORAL_ADDRESS\)/);
  }, 60_000);

  it('shale worker runs from the compiled build, bundling the workflow code from the sources', async () => {
    const taskQueue = uniqueTaskQueue('e2e-cli-path-worker');
    const config = join(home, 'shale.yaml');
    await writeFile(
      config,
      toYaml({
        temporal: { taskQueue },
        clusters: [{ id: 'emr6-spark3', livyUrl: stack.spark3.url, sparkVersion: '3' }],
        livy: { pollIntervalMs: 100 },
        worker: { shutdownGraceSeconds: 2 },
      }),
    );
    // Temporal's own variable, as an operator's shell would have it.
    const env = cleanEnv({ TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace });
    const worker = spawn('shale', ['worker', '--config', config], { cwd: home, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    worker.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stderr, { timeout: 90_000, interval: 200 }).toContain(`shale worker: namespace ${stack.namespace}, task queue e2e-cli-path-worker`);
      expect(stderr).toContain(`Temporal at ${stack.address}`);
      expect(stderr).not.toMatch(RAN_FROM_SOURCE);
      const spec = join(home, 'on-worker.yaml');
      await writeFile(spec, toYaml({ ...simSpec('cli-path-worker'), team: 'e2e-cli' }));
      const submitted = await shale(['submit', spec, '--wait'], { TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace, SHALE_TASK_QUEUE: taskQueue });
      expect(submitted.code, submitted.stderr).toBe(0);
      expect(submitted.stdout).toMatch(/state\s+SUCCEEDED/);
    } finally {
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 180_000);
});
