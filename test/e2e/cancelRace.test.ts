/**
 * Cancel is idempotent end to end (issue 9, item 5): two cancels from two callers 0–300 ms apart,
 * fifty times, against a real worker and the Livy simulator. Every call answers, exactly one is
 * accepted, the job ends CANCELLED with one DELETE, and a retry of either request (same request id)
 * gets its first answer back. Also: a cancel for a job that no worker runs answers at once.
 */
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShaleClient, type CancelResult } from '../../client/shaleClient';
import { isTerminalJobState } from '../../contract';
import { seeded } from '../support/seededRandom';
import { simSpec, startStack, type E2EStack } from '../support/stack';
import { uniqueTaskQueue } from '../support/workflowEnv';

const ROUNDS = 50;
const CONCURRENCY = 10;
const MAX_GAP_MS = 300;

let stack: E2EStack;
let secondCaller: ShaleClient;
let secondConnection: Connection;

beforeAll(async () => {
  stack = await startStack('e2e-cancel-race');
  // The second cancel comes from another caller with its own connection, as a second process would.
  secondConnection = await Connection.connect({ address: stack.address });
  secondCaller = await ShaleClient.connect({ connection: secondConnection, namespace: stack.namespace, taskQueue: stack.taskQueue, identity: 'second-caller@ci' });
});
afterAll(async () => {
  await secondConnection?.close();
  await stack?.teardown();
});

async function untilRunning(client: ShaleClient, jobId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { state } = await client.status(jobId);
    if (state === 'RUNNING') return;
    if (isTerminalJobState(state) || Date.now() > deadline) throw new Error(`${jobId} is ${state}, never RUNNING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Round {
  jobId: string;
  gapMs: number;
  answers: (CancelResult | Error)[];
}

async function oneRound(i: number, gapMs: number): Promise<Round> {
  const { jobId } = await stack.client.submit({ ...simSpec(`race-${i}`, { 'shale.sim.durationMs': '600000' }), team: 'e2e-race' });
  await untilRunning(stack.client, jobId);
  const first = stack.client.cancel(jobId, { reason: 'first', requestedBy: 'caller-a' });
  await new Promise((r) => setTimeout(r, gapMs));
  const second = secondCaller.cancel(jobId, { reason: 'second', requestedBy: 'caller-b' });
  const answers = await Promise.all([first, second].map((p) => p.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
  return { jobId, gapMs, answers };
}

describe('two cancels racing', () => {
  it(`${ROUNDS} times, 0–${MAX_GAP_MS} ms apart: every call answers, exactly one is accepted, one DELETE, CANCELLED`, async () => {
    const random = seeded(9005);
    const gaps = Array.from({ length: ROUNDS }, (_, i) => (i < 5 ? 0 : Math.floor(random() * (MAX_GAP_MS + 1))));
    const rounds: Round[] = [];
    for (let start = 0; start < ROUNDS; start += CONCURRENCY) {
      rounds.push(...(await Promise.all(gaps.slice(start, start + CONCURRENCY).map((gap, k) => oneRound(start + k, gap)))));
    }

    const thrown = rounds.flatMap((r) => r.answers.filter((a): a is Error => a instanceof Error).map((e) => `${r.jobId} (gap ${r.gapMs} ms): ${e.message}`));
    expect(thrown).toEqual([]);
    for (const { jobId, gapMs, answers } of rounds) {
      const [a, b] = answers as CancelResult[];
      expect([a!.accepted, b!.accepted].filter(Boolean), `${jobId} (gap ${gapMs} ms): ${JSON.stringify(answers)}`).toHaveLength(1);
    }

    for (const { jobId, answers } of rounds) {
      const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
      expect(status.state, jobId).toBe('CANCELLED');
      expect(stack.spark3.requests({ method: 'DELETE', name: `${jobId}-a1` }), jobId).toHaveLength(1);
      expect(stack.spark3.requests({ method: 'POST', name: `${jobId}-a1` }), jobId).toHaveLength(1);
      // The accepted request is the one on the job's record.
      const winner = (answers as CancelResult[]).find((x) => x.accepted)!;
      expect(status.cancel?.requestedBy).toBe(winner === answers[0] ? 'caller-a' : 'caller-b');
    }

    // A retry of either request after the end, by request id, gets its first answer back.
    for (const { jobId, answers } of rounds.slice(0, 10)) {
      for (const [k, caller] of [stack.client, secondCaller].entries()) {
        const firstAnswer = answers[k] as CancelResult;
        const again = await caller.cancel(jobId, { requestId: firstAnswer.requestId });
        expect(again.accepted, `${jobId} retry of request ${k}`).toBe(firstAnswer.accepted);
        if (firstAnswer.accepted) expect(again.state).toBe(firstAnswer.state);
      }
    }
    expect(stack.spark3.requests({ method: 'DELETE' }).length).toBe(ROUNDS);
  }, 240_000);

  it('the same request sent twice at once is one request: both answers are the first acceptance', async () => {
    const { jobId } = await stack.client.submit({ ...simSpec('race-same-id', { 'shale.sim.durationMs': '600000' }), team: 'e2e-race' });
    await untilRunning(stack.client, jobId);
    const [a, b] = await Promise.all([
      stack.client.cancel(jobId, { reason: 'retry storm', requestId: 'airflow-task-try-1' }),
      secondCaller.cancel(jobId, { reason: 'retry storm', requestId: 'airflow-task-try-1' }),
    ]);
    expect(a).toMatchObject({ accepted: true, state: 'RUNNING', requestId: 'airflow-task-try-1' });
    expect(b).toEqual(a);
    expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('CANCELLED');
    expect(stack.spark3.requests({ method: 'DELETE', name: `${jobId}-a1` })).toHaveLength(1);
  });
});

describe('a job that no worker runs', () => {
  it('answers within seconds that no worker polls the task queue, and leaves the cancel as a signal', async () => {
    const taskQueue = uniqueTaskQueue('e2e-no-worker');
    const connection = await Connection.connect({ address: stack.address });
    const orphanClient = await ShaleClient.connect({ connection, namespace: stack.namespace, taskQueue, identity: 'e2e-tester@ci' });
    try {
      const { jobId } = await orphanClient.submit({ ...simSpec('no-worker'), team: 'e2e-race' });
      const started = Date.now();
      const answer = await orphanClient.cancel(jobId, { reason: 'workers are down', requestId: 'no-worker-1' });
      // A short Update try (3 s) in case the poller list lags, then the signal.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(answer).toMatchObject({ accepted: false, requestId: 'no-worker-1' });
      expect(answer.message).toContain(`no worker polls task queue "${taskQueue}"`);
      const history = await orphanClient.temporal.workflow.getHandle(jobId).fetchHistory();
      const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'cancel');
      expect(signals).toHaveLength(1);
      await orphanClient.temporal.workflow.getHandle(jobId).terminate('test done: no worker will ever run it');
    } finally {
      await connection.close();
    }
  });
});
