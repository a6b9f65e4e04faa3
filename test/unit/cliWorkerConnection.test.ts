/**
 * `shale worker` takes the CLI's connection flags (they beat its config file and environment), and
 * a Temporal it cannot reach is named, with exit 10, like every other command's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../client/cli';
import { ExitCode } from '../../client/exitCodes';

let stderr: string;
const saved = { ...process.env };

beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...saved };
  process.exitCode = undefined;
});

describe('shale worker and its connection', () => {
  it('connects where --address says, over SHALE_TEMPORAL_ADDRESS and TEMPORAL_ADDRESS, and names it when nothing answers', async () => {
    process.env.SHALE_TEMPORAL_ADDRESS = '127.0.0.1:2';
    process.env.TEMPORAL_ADDRESS = '127.0.0.1:3';
    expect(await main(['node', 'shale', '--address', '127.0.0.1:1', 'worker'])).toBe(ExitCode.Unavailable);
    expect(stderr).toMatch(/^shale: cannot reach Temporal at 127\.0\.0\.1:1 \(address from the worker's config and environment\)/);
  }, 60_000);
});
