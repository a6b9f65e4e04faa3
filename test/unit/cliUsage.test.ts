/**
 * The CLI's usage errors exit 2 (client/exitCodes.ts), however they are made: unknown command or
 * option, missing or extra argument, an option value that is not what it takes. None of them may
 * reach the network: the address below has nothing listening, so a usage error that slipped through
 * would exit 10 ("cannot reach Temporal") instead.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../client/cli';
import { ExitCode } from '../../client/exitCodes';

let stderr: string;
// `shale worker` hands the connection flags to the worker through the environment.
const savedEnv = { ...process.env };

beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...savedEnv };
  process.exitCode = undefined;
});

const shale = (...args: string[]) => main(['node', 'shale', '--address', '127.0.0.1:1', ...args]);

describe('shale usage errors exit 2', () => {
  it.each([
    ['no command', [], /Usage: shale/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown option', ['status', 'job-1', '--bogus'], /unknown option '--bogus'/],
    ['an unknown global option', ['--bogus', 'status', 'job-1'], /unknown option '--bogus'/],
    ['a missing argument', ['cancel'], /missing required argument 'job'/],
    ['an extra argument', ['status', 'a', 'b'], /too many arguments/],
    ['an option without its value', ['list', '--state'], /argument missing/],
    ['a command group without its command', ['admin'], /Usage: shale admin/],
    ['a number option given a word', ['list', '--limit', 'lots'], /--limit <n>' argument 'lots' is invalid/],
    ['a number option given a fraction', ['logs', 'job-1', '--lines', '2.5'], /--lines <n>' argument '2.5' is invalid/],
    ['an attempt number of 0', ['logs', 'job-1', '--attempt', '0'], /--attempt <n>' argument '0' is invalid/],
    ['a cancel timeout that is not a number', ['cancel', 'job-1', '--timeout', 'soon'], /--timeout <seconds>' argument 'soon' is invalid/],
    ['a non-numeric attempt', ['logs', 'job-1', '--attempt', 'two'], /--attempt <n>' argument 'two' is invalid\. expected a whole number ≥ 1/],
    ['rerun without its job', ['rerun'], /missing required argument 'job'/],
    ['a --since that is not a time', ['list', '--since', 'yesterday'], /--since <iso-time>' argument 'yesterday' is invalid\. expected a time/],
    ['a --state that is no state', ['list', '--state', 'DONE'], /--state: one of QUEUED, .*TIMED_OUT/],
    ['a --label without =', ['list', '--label', 'dag_id'], /--label dag_id: expected key=value/],
    ['a spec file that does not exist', ['submit', '/nonexistent/job.yaml'], /cannot read spec file \/nonexistent\/job\.yaml/],
    ['a --conf without =', ['submit', '--team', 'a1', '--name', 'n', '--kind', 'sql', '--sql', 'select 1', '--conf', 'x'], /--conf x: expected key=value/],
    ['a key with a space', ['submit', '--team', 'a1', '--name', 'n', '--kind', 'sql', '--sql', 'select 1', '--key', 'a b'], /--key: 1-256 printable ASCII/],
    ['a worker config that does not exist', ['worker', '--config', '/nonexistent/shale.yaml'], /--config \/nonexistent\/shale\.yaml: no such file/],
    ["a Temporal config file that does not exist", ['--config-file', '/nonexistent/temporal.toml', 'status', 'job-1'], /Temporal config file \/nonexistent\/temporal\.toml \(given\) does not exist/],
  ])('%s', async (_what, args, message) => {
    expect(await shale(...args)).toBe(ExitCode.Usage);
    expect(stderr).toMatch(message);
  });

  it.each([
    ['a number where a string goes', { name: 5, team: 'analytics', kind: 'pyspark', file: 's3://b/a.py' }, /invalid job spec: name: must be a string, not a number/],
    ['a missing required field', { name: 'daily', kind: 'pyspark', file: 's3://b/a.py' }, /invalid job spec: team: is required \(a string\)/],
    ['no kind', { name: 'daily', team: 'analytics', file: 's3://b/a.py' }, /invalid job spec: kind: is required \(one of pyspark, jar, sql\)/],
  ])('a spec with %s is refused naming the field and what it takes (exit 2)', async (_what, spec, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-usage-'));
    const file = join(dir, 'job.json');
    await writeFile(file, JSON.stringify(spec));
    expect(await shale('submit', file)).toBe(ExitCode.Usage);
    expect(stderr).toMatch(message);
  });

  it('a worker config that is not YAML, or not a valid config, is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-usage-'));
    await writeFile(join(dir, 'broken.yaml'), 'temporal: [unclosed\n');
    await writeFile(join(dir, 'invalid.yaml'), 'livy: { pollIntervalMs: soon }\n');
    expect(await shale('worker', '--config', join(dir, 'broken.yaml'))).toBe(ExitCode.Usage);
    expect(stderr).toMatch(/shale: .*(Flow sequence|unclosed|Missing)/i);
    stderr = '';
    expect(await shale('worker', '--config', join(dir, 'invalid.yaml'))).toBe(ExitCode.Usage);
    expect(stderr).toMatch(/livy\.pollIntervalMs: /);
  });

  it('a profile the Temporal config file lacks is a usage error naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-usage-'));
    const file = join(dir, 'temporal.toml');
    await writeFile(file, '[profile.default]\naddress = "127.0.0.1:1"\n');
    expect(await main(['node', 'shale', '--config-file', file, '--profile', 'prod', 'status', 'job-1'])).toBe(ExitCode.Usage);
    expect(stderr).toMatch(/cannot use Temporal profile prod from .*temporal\.toml: Profile 'prod' not found/);
  });

  it('a cancel reason longer than the workflow takes is refused before any call (exit 2)', async () => {
    expect(await shale('cancel', 'job-1', '--reason', 'x'.repeat(5000))).toBe(ExitCode.Usage);
    expect(stderr).toMatch(/invalid cancel request: reason: longer than/);
  });

  it('--help exits 0', async () => {
    expect(await shale('--help')).toBe(ExitCode.Ok);
  });
});
