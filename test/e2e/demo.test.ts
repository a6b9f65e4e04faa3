/**
 * `make demo` twice at once: the second is refused at once with a clear message and starts nothing;
 * the first, stopped by SIGTERM mid-run, leaves no process behind (dev server, moto, worker). On the
 * way, the demo's HTTP scene has submitted a job over the API, and the API's token is in no output.
 * Every process a demo starts inherits a marker in its environment, which is how leftovers are found.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TOKEN_PATTERN, demoApiCredentials } from '../../dev/demo/demoApi';
import { onOwnServer } from '../support/stack';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const started: ChildProcess[] = [];

interface Demo {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startDemo(runDir: string, mark: string): Demo {
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/demo/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SHALE_DEMO_RUN_DIR: runDir, SHALE_DEMO_TEST_MARK: mark },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, output: () => output, exited };
}

/** Live processes whose environment carries the marker (the demo and everything it spawned). */
async function processesMarked(mark: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (!environ.split('\0').includes(`SHALE_DEMO_TEST_MARK=${mark}`)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // exited, not yet reaped
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim();
    found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe(onOwnServer('make demo', 'the demo starts its dev server and must leave no process behind'), () => {
  it("makes the HTTP API's token fresh for each run and writes only its SHA-256 into the config", () => {
    const [one, two] = [demoApiCredentials('demo'), demoApiCredentials('demo')];
    expect(one.token).toMatch(new RegExp(`^${DEMO_TOKEN_PATTERN.source}$`));
    expect(two.token).not.toBe(one.token);
    const written = JSON.stringify(one.configSection);
    expect(written).not.toContain(one.token);
    expect(written).toContain(createHash('sha256').update(one.token).digest('hex'));
  });

  it('refuses a second demo at once, and a stopped demo leaves no process behind', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'shale-demo-'));
    const markA = `a-${process.pid}-${Date.now()}`;
    const markB = `b-${process.pid}-${Date.now()}`;
    const first = startDemo(runDir, markA);
    // Up and running jobs: the dev server, moto and the worker are all there.
    await expect.poll(first.output, { timeout: 150_000, interval: 250 }).toMatch(/submitted daily-revenue as /);
    // The HTTP API is up too: a job submitted over it, and its repeat with the same Idempotency-Key returned the same job.
    await expect
      .poll(first.output, { timeout: 60_000, interval: 250 })
      .toMatch(/submitted hourly-sessions as demo-hourly-sessions-\S+: over HTTP, POST \/v1\/jobs with an Idempotency-Key answered 201; sent again, 200 with the same job/);
    expect((await processesMarked(markA)).length).toBeGreaterThanOrEqual(4);

    const t0 = Date.now();
    const second = startDemo(runDir, markB);
    expect(await second.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000); // at once: it starts nothing, so nothing to wait for
    expect(second.output()).toMatch(new RegExp(`demo failed: another demo is running in this checkout \\(pid ${first.child.pid}, since \\S+\\); stop it first`));
    expect(second.output()).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect(await processesMarked(markB)).toEqual([]);
    expect(first.child.exitCode).toBeNull(); // the first one is untouched

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(143);
    expect(first.output()).toMatch(/SIGTERM: stopping the stack/);
    // The API's token is made for the run and shown only with KEEP=1: not in this output, nor in the demo's logs.
    expect(first.output()).not.toMatch(DEMO_TOKEN_PATTERN);
    for (const log of ['worker.log', 'api.log']) expect(await readFile(join(runDir, log), 'utf8')).not.toMatch(DEMO_TOKEN_PATTERN);
    expect(await processesMarked(markA)).toEqual([]);
  }, 240_000);
});
