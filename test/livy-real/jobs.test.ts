/**
 * Jobs of every kind, and the ways they end, on a real Apache Livy 0.7.1 with Spark 3.5 in local
 * mode, driven through ShaleClient as a user would. The jobs run concurrently: on 2 cores their
 * JVM start-ups overlap better than they queue.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { readLog } from '../../client/logs';
import { LIVY_LOG_MARKERS } from '../../contract/livyLog';
import type { JobStatus } from '../../contract';
import { JAR_APP_CLASS } from './support/jarApp';
import { appSpec, baseSpec, batchName, CLUSTER_ID, startRealLivyStack, type RealLivyStack } from './support/realLivyStack';

let stack: RealLivyStack;

beforeAll(async () => {
  stack = await startRealLivyStack('livy-real-jobs', { jar: true });
});
afterAll(async () => {
  await stack?.teardown();
});

/** The attempt's whole Livy log as `shale logs` reads it (through the worker). */
async function livyLog(status: JobStatus): Promise<string[]> {
  const chunk = await readLog(stack.client, status, { lines: 1000 });
  if (chunk?.source !== 'livy') throw new Error(`the log came from ${chunk?.source ?? 'nowhere'}: ${chunk?.note ?? ''}`);
  return chunk.lines;
}

/** What the proxy saw for the job's first batch: its one POST, and nothing else but reads. */
function writesFor(jobId: string) {
  return stack.proxy.requestsFor({ name: batchName(jobId) }).filter((r) => r.method !== 'GET');
}

describe.concurrent('jobs on a real Livy 0.7.1 with Spark 3.5 (local mode)', () => {
  it('runs a pyspark app (pi.py) to SUCCEEDED, and its log holds the app output', async ({ expect }) => {
    const { jobId } = await stack.client.submit(appSpec('pi', 'pi.py', ['20000']));
    const status = await stack.client.wait(jobId);
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts).toHaveLength(1);
    expect(status.attempts[0]).toMatchObject({ n: 1, cluster: CLUSTER_ID, batchName: batchName(jobId), batchState: 'success', outcome: 'SUCCEEDED' });
    // Local mode: no YARN application, no Spark UI link (LIVY.md).
    expect(status.attempts[0]!.appId).toBeUndefined();
    expect(await livyLog(status)).toContainEqual(expect.stringMatching(/^Pi is roughly 3\.\d+$/));
    expect(writesFor(jobId).map((r) => [r.method, r.status])).toEqual([['POST', 201]]);
  });

  it('runs a SQL job through the shipped runner (activities/livy/sql_runner.py) and shows the result in the log', async ({ expect }) => {
    const { jobId } = await stack.client.submit({ ...baseSpec('sql'), kind: 'sql', sql: 'SELECT 6 * 7 AS answer' });
    const status = await stack.client.wait(jobId);
    expect(status.state).toBe('SUCCEEDED');
    const log = await livyLog(status);
    expect(log).toContain('shale-sql: statement 1: SELECT 6 * 7 AS answer');
    // result.show(truncate=False): a header row, then the value left-aligned.
    expect(log).toContainEqual(expect.stringMatching(/^\|answer\|$/));
    expect(log).toContainEqual(expect.stringMatching(/^\|42 *\|$/));
  });

  it('runs a jar job (a Java class compiled with javac at test time) to SUCCEEDED', async ({ expect }) => {
    const spec = { ...baseSpec('jar'), kind: 'jar', file: `file://${stack.jarPath}`, className: JAR_APP_CLASS, args: ['1000'] };
    const { jobId } = await stack.client.submit(spec);
    const status = await stack.client.wait(jobId);
    expect(status.state).toBe('SUCCEEDED');
    expect(await livyLog(status)).toContain('shale-test: jar app counted 500 even numbers below 1000');
  });

  it("fails a job whose app throws, with the app's own error as the reason", async ({ expect }) => {
    const { jobId } = await stack.client.submit(appSpec('failing', 'failing_app.py'));
    const status = await stack.client.wait(jobId);
    expect(status.state).toBe('FAILED');
    expect(status.attempts).toHaveLength(1);
    expect(status.attempts[0]).toMatchObject({ batchState: 'dead', outcome: 'APP_FAILED' });
    expect(status.lastError).toMatchObject({ class: 'app' });
    // The exception's own text, as Python printed it, not a generic "the batch is dead".
    expect(status.lastError?.message).toContain('ValueError: shale-test: input partition 7 is corrupt');
    expect(status.attempts[0]!.reason).toContain('ValueError: shale-test: input partition 7 is corrupt');
  });

  it('fails a job whose app exits non-zero without an exception, with a reason that says so (no marker for a line)', async ({ expect }) => {
    const { jobId } = await stack.client.submit(appSpec('exit-nonzero', 'exit_nonzero.py', ['3']));
    const status = await stack.client.wait(jobId);
    expect(status.state).toBe('FAILED');
    expect(status.attempts[0]).toMatchObject({ batchState: 'dead', outcome: 'APP_FAILED' });
    // LIVY.md: such an app leaves no error line; Livy's log ends with the stderr section marker.
    const reason = status.lastError?.message ?? '';
    for (const marker of LIVY_LOG_MARKERS) expect(reason).not.toContain(marker.trim());
    // Not Spark's own shutdown chatter taken for the app's last word...
    expect(reason).not.toMatch(/ShutdownHookManager| INFO /);
    // ...but a reason that says the app ended without saying why.
    expect(reason).toMatch(/exit|without an? (error|exception)/i);
  });

  it("fails a job whose file is outside Livy's whitelist with Livy's reason, and leaves no batch registered", async ({ expect }) => {
    const { jobId } = await stack.client.submit({ ...baseSpec('outside'), kind: 'pyspark', file: 'file:///tmp/shale-outside-the-whitelist/app.py' });
    const status = await stack.client.wait(jobId);
    expect(status.state).toBe('FAILED');
    expect(status.attempts).toHaveLength(1);
    expect(status.lastError?.message).toContain('Local path /tmp/shale-outside-the-whitelist/app.py cannot be added to user sessions');
    // LIVY.md: Livy answered 400 yet registered the batch (stuck in `starting`); Shale removed it by name.
    const name = batchName(jobId);
    const listing = (await (await fetch(`${stack.livy.url}/batches?from=0&size=1000`)).json()) as { sessions: Array<{ name: string | null }> };
    expect(listing.sessions.filter((s) => s.name === name)).toEqual([]);
    expect((await fetch(`${stack.livy.url}/batches/${name}`)).status).toBe(404);
    expect(writesFor(jobId).map((r) => [r.method, r.status])).toEqual([
      ['POST', 400],
      ['DELETE', 200],
    ]);
  });
});
