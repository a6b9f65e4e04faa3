/**
 * Following a job's log on a real Livy while its app prints three times more lines than Livy's
 * 200-line buffer holds (LIVY.md: a circular buffer whose indexes shift as lines arrive). What
 * `shale logs --follow` runs (client/logs.ts followLog) must show every line exactly once, in order,
 * and never one of Livy's section markers as a line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followLog, type LogChunk } from '../../client/logs';
import { isLogMarker } from '../../contract/livyLog';
import { appSpec, batchName, startRealLivyStack, type RealLivyStack } from './support/realLivyStack';

let stack: RealLivyStack;

beforeAll(async () => {
  stack = await startRealLivyStack('livy-real-logs');
});
afterAll(async () => {
  await stack?.teardown();
});

const LINES = 600;
/** The follower re-reads every 2 s: at this pace the buffer holds ~6 s of lines, room for a slow read. */
const LINES_PER_SECOND = 30;

describe('following a real Livy log that outgrows its buffer', () => {
  it('shows each of 600 lines exactly once, in order, and no marker as a line', async () => {
    const { jobId } = await stack.client.submit(appSpec('chatty', 'chatty.py', [String(LINES), String(LINES_PER_SECOND)]));
    const chunks: LogChunk[] = [];
    const status = await followLog(stack.client, () => stack.client.status(jobId), {}, (chunk) => chunks.push(chunk));
    expect(status.state).toBe('SUCCEEDED');

    const shown = chunks.flatMap((c) => c.lines);
    expect(shown.filter(isLogMarker)).toEqual([]);
    expect(shown.filter((line) => /^\s*(stdout|stderr):\s*$/.test(line))).toEqual([]);
    const numbered = shown.filter((line) => line.startsWith('shale-test: line '));
    const expected = Array.from({ length: LINES }, (_, i) => `shale-test: line ${String(i + 1).padStart(5, '0')} of ${LINES}`);
    expect(numbered).toEqual(expected);
    // Read from Livy while it ran (not only Shale's kept tail at the end), in several reads.
    expect(chunks.filter((c) => c.source === 'livy').length).toBeGreaterThan(3);

    // The buffer did wrap: Livy holds only the last 200 lines of stdout, with its two markers.
    const log = (await (await fetch(`${stack.livy.url}/batches/${batchName(jobId)}/log?from=0&size=1000`)).json()) as { total: number; log: string[] };
    expect(log.total).toBe(202);
    expect(log.log).toContain(expected.at(-1));
    expect(log.log).not.toContain(expected[0]);
  });
});
