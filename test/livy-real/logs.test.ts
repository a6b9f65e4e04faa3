/**
 * Following a job's log on a real Livy while its app prints three times more lines than Livy's
 * 200-line buffer holds (LIVY.md: a circular buffer whose indexes shift as lines arrive). What
 * `shale logs --follow` runs (client/logs.ts followLog) must show every line exactly once, in order,
 * and never one of Livy's section markers as a line.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { followLog, type LogChunk } from '../../client/logs';
import { isLogMarker } from '../../contract/livyLog';
import { appSpec, batchName, startRealLivyStack, type RealLivyStack } from './support/realLivyStack';

let stack: RealLivyStack;
let gateDir: string;

beforeAll(async () => {
  gateDir = await mkdtemp(join(tmpdir(), 'shale-chatty-gate-'));
  stack = await startRealLivyStack('livy-real-logs');
});
afterAll(async () => {
  await stack?.teardown();
  await rm(gateDir, { recursive: true, force: true });
});

const SHALE = fileURLToPath(new URL('../../bin/shale', import.meta.url));

interface CliFollower {
  /** Resolves once the CLI has printed a line containing `text`. */
  printed(text: string): Promise<void>;
  /** Its exit code and everything it printed, once it exits. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `shale logs --follow <job>` as an operator runs it. */
function cliFollow(jobId: string): CliFollower {
  const env = { ...process.env, SHALE_TEMPORAL_ADDRESS: inject('temporalAddress'), SHALE_TEMPORAL_NAMESPACE: inject('temporalNamespace'), SHALE_TASK_QUEUE: stack.taskQueue };
  const child = spawn(SHALE, ['logs', '--follow', jobId], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let watchers: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    stdout += data;
    const seen = watchers.filter((w) => stdout.includes(w.text));
    watchers = watchers.filter((w) => !seen.includes(w));
    for (const w of seen) w.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return {
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(text)) return resolve();
        watchers.push({ text, resolve });
        void done.then(() => reject(new Error(`shale logs --follow exited before printing ${text}:\n${stderr}`)));
      }),
    done,
  };
}

/** The app's numbered lines in what a follower showed, and every line that is one of Livy's markers. */
function numberedAndMarkers(shown: string[]) {
  return {
    numbered: shown.filter((line) => line.startsWith('shale-test: line ')),
    markers: shown.filter((line) => isLogMarker(line) || /^\s*(stdout|stderr):\s*$/.test(line)),
  };
}

const LINES = 600;
/** The follower re-reads every 2 s: at this pace the buffer holds ~6 s of lines, room for a slow read. */
const LINES_PER_SECOND = 30;

describe('following a real Livy log that outgrows its buffer', () => {
  it('shows each of 600 lines exactly once, in order, and no marker as a line (the client library and `shale logs --follow`)', async () => {
    const gate = join(gateDir, 'go');
    const { jobId } = await stack.client.submit(appSpec('chatty', 'chatty.py', [String(LINES), String(LINES_PER_SECOND), gate]));
    const expected = Array.from({ length: LINES }, (_, i) => `shale-test: line ${String(i + 1).padStart(5, '0')} of ${LINES}`);
    // Two followers side by side: what the CLI runs, called in-process, and the CLI itself. The app prints
    // its numbered lines only once the CLI (slower to start) shows it follows: it has printed the app's first line.
    const cli = cliFollow(jobId);
    const chunks: LogChunk[] = [];
    const following = followLog(stack.client, () => stack.client.status(jobId), {}, (chunk) => chunks.push(chunk));
    await cli.printed(`shale-test: waiting for ${gate}`);
    await writeFile(gate, '');
    const status = await following;
    expect(status.state).toBe('SUCCEEDED');

    const library = numberedAndMarkers(chunks.flatMap((c) => c.lines));
    expect(library.markers).toEqual([]);
    expect(library.numbered).toEqual(expected);
    // Read from Livy while it ran (not only Shale's kept tail at the end), in several reads.
    expect(chunks.filter((c) => c.source === 'livy').length).toBeGreaterThan(3);

    const { code, stdout, stderr } = await cli.done;
    expect({ code, stderr: stderr.split('\n').filter((line) => line && !line.includes('running from source')) }).toEqual({ code: 0, stderr: [] });
    const printed = numberedAndMarkers(stdout.split('\n'));
    expect(printed.markers).toEqual([]);
    expect(printed.numbered).toEqual(expected);

    // The buffer did wrap: Livy holds only the last 200 lines of stdout, with its two markers.
    const log = (await (await fetch(`${stack.livy.url}/batches/${batchName(jobId)}/log?from=0&size=1000`)).json()) as { total: number; log: string[] };
    expect(log.total).toBe(202);
    expect(log.log).toContain(expected.at(-1));
    expect(log.log).not.toContain(expected[0]);
  });
});
