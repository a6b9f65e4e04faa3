/**
 * The CLI's usage errors exit 2 (client/exitCodes.ts), however they are made: unknown command or
 * option, missing or extra argument, an option value that is not what it takes. None of them may
 * reach the network: the address below has nothing listening, so a usage error that slipped through
 * would exit 10 ("cannot reach Temporal") instead.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../client/cli';
import { ExitCode } from '../../client/exitCodes';

let stderr: string;

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
  ])('%s', async (_what, args, message) => {
    expect(await shale(...args)).toBe(ExitCode.Usage);
    expect(stderr).toMatch(message);
  });

  it('a cancel reason longer than the workflow takes is refused before any call (exit 2)', async () => {
    expect(await shale('cancel', 'job-1', '--reason', 'x'.repeat(5000))).toBe(ExitCode.Usage);
    expect(stderr).toMatch(/invalid cancel request: reason: longer than/);
  });

  it('--help exits 0', async () => {
    expect(await shale('--help')).toBe(ExitCode.Ok);
  });
});
