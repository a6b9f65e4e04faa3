/**
 * The Livy auth header's value is a secret: the worker reads it from the environment variable its
 * config names, sends it to Livy, and writes it nowhere else. Jobs that succeed, fail (in the app,
 * and on a Livy error) and are cancelled must leave no trace of it in their workflow histories
 * (every run), their statuses and audit timelines, or anything the worker logged.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { LogEntry } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchJobHistories } from '../../client/audit';
import { decodedPayloads, secretHitsIn, secretNeedles } from '../support/secretScan';
import { simSpec, startStack, type E2EStack } from '../support/stack';

const ENV_NAME = 'SHALE_E2E_LIVY_AUTH';
const TOKEN = `s3cr3t-${randomUUID()}`;
const SECRET = `Bearer ${TOKEN}`;

const NEEDLES = secretNeedles(TOKEN);

/** Which encodings of the secret a text holds (named, so a failure does not print the secret). */
function hits(text: string): string[] {
  return secretHitsIn(NEEDLES, text);
}


const logEntries: LogEntry[] = [];
const processOutput: string[] = [];
const consoleSpies: Array<{ mock: { calls: unknown[][] } }> = [];
const restore: Array<() => void> = [];
let stack: E2EStack;

/** Tees what this process writes to stdout and stderr, beside the Runtime logger's entries. */
function teeProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      processOutput.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restore.push(() => (stream.write = original));
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const spy = vi.spyOn(console, method);
    consoleSpies.push(spy);
    restore.push(() => spy.mockRestore());
  }
}

beforeAll(async () => {
  teeProcessOutput();
  stack = await startStack(
    'e2e-secrets',
    {
      // The stack's usual Livy settings, plus the env var that holds the auth header.
      livy: { pollIntervalMs: 100, requestTimeoutMs: 1000, failoverAfterUnreachableSeconds: 2, authHeaderFromEnv: ENV_NAME },
    },
    { env: { ...process.env, [ENV_NAME]: SECRET }, logSink: (entry) => logEntries.push(entry) },
  );
});
afterAll(async () => {
  await stack?.teardown();
  for (const undo of restore.splice(0).reverse()) undo();
});

describe('the Livy auth secret never leaks', () => {
  it('the scan finds the secret however it is written (so zero hits means something)', () => {
    expect(hits(`authorization: ${SECRET}`)).not.toEqual([]);
    for (const prefix of ['', 'x', 'xy', '{"headers":{"authorization":"']) {
      expect(hits(Buffer.from(`${prefix}${SECRET}"}}`).toString('base64'))).not.toEqual([]);
    }
    expect(hits(inspect({ error: new Error(`request failed with ${SECRET}`) }))).not.toEqual([]);
    expect(hits(`${SECRET.slice(0, -1)}`)).toEqual([]);
  });

  it('is sent to Livy, and appears in no history, status, audit timeline or log of jobs that succeed, fail and are cancelled', async () => {
    const client = stack.client;
    const [ok, appFailure, rejected, cancelled] = await Promise.all([
      client.submit(simSpec('secret-ok')),
      client.submit(simSpec('secret-dead', { 'shale.sim.outcome': 'dead' }, { retry: { app: 0, initialBackoff: 1, maxBackoff: 2 } })),
      // The simulator answers 400 to a conf it cannot read: the failure travels through the Livy client's error path.
      client.submit(simSpec('secret-rejected', { 'shale.sim.outcome': 'exploded' })),
      client.submit(simSpec('secret-cancel', { 'shale.sim.durationMs': '600000' })),
    ]);
    await vi.waitFor(async () => expect((await client.status(cancelled.jobId)).state).toBe('RUNNING'), { timeout: 20_000, interval: 100 });
    expect(await client.cancel(cancelled.jobId, { reason: 'secrets test', requestedBy: 'auditor' })).toMatchObject({ accepted: true });

    const statuses = await Promise.all([ok, appFailure, rejected, cancelled].map((s) => client.wait(s.jobId, { pollIntervalMs: 100 })));
    expect(statuses.map((s) => s.state)).toEqual(['SUCCEEDED', 'FAILED', 'FAILED', 'CANCELLED']);
    expect(statuses[1]!.lastError).toMatchObject({ type: 'AppFailed', class: 'app' });
    expect(statuses[2]!.lastError).toMatchObject({ type: 'LivyBadRequest' });
    expect(statuses[2]!.lastError!.message).toMatch(/Livy answered 400/);

    // The secret was really used: every request either simulator got carried the header.
    const jobIds = statuses.map((s) => s.jobId);
    const requests = [...stack.spark2.requests(), ...stack.spark3.requests()];
    for (const jobId of jobIds) expect(stack.spark3.requests({ method: 'POST', name: `${jobId}-a1` }).map((r) => r.hasAuth)).toEqual([true]);
    expect(stack.spark3.requests({ method: 'DELETE', name: `${cancelled.jobId}-a1` }).map((r) => r.hasAuth)).toEqual([true]);
    expect(requests.length).toBeGreaterThan(jobIds.length);
    expect(requests.filter((r) => !r.hasAuth)).toEqual([]);

    const histories: string[] = [];
    for (const jobId of jobIds) {
      for (const run of await fetchJobHistories(client.temporal, jobId)) {
        const json = historyToJSON(run.history);
        histories.push(json, ...decodedPayloads(JSON.parse(json)));
      }
    }
    const finalStatuses = await Promise.all(jobIds.map((jobId) => client.status(jobId)));
    const audits = await Promise.all(jobIds.map((jobId) => client.audit(jobId)));
    // The capture saw the worker's lifecycle lines and the activity failure, secret and all, had there been one.
    for (const jobId of jobIds) {
      expect(logEntries.some((e) => e.message === 'job.accepted' && e.meta?.jobId === jobId)).toBe(true);
    }
    expect(logEntries.some((e) => e.message === 'Activity failed' && /Livy answered 400/.test(inspect(e.meta?.error)))).toBe(true);
    const logs = logEntries.map((e) => inspect(e, { depth: null, maxArrayLength: null, maxStringLength: null }));
    const consoleOutput = consoleSpies.flatMap((spy) => spy.mock.calls.map((args) => inspect(args, { depth: null })));

    const surfaces: Record<string, string[]> = {
      histories,
      statuses: [...statuses, ...finalStatuses].map((s) => JSON.stringify(s)),
      audits: audits.map((a) => JSON.stringify(a)),
      logs,
      processOutput,
      console: consoleOutput,
    };
    expect(histories.length).toBeGreaterThanOrEqual(jobIds.length);
    const leaks = Object.entries(surfaces).flatMap(([surface, texts]) => texts.flatMap((text, i) => hits(text).map((how) => `${surface}[${i}]: ${how}`)));
    expect(leaks).toEqual([]);
  });
});
