/**
 * Cancelling on a real Livy: mid-run (one DELETE, the spark-submit process gone) and after the job
 * finished (nothing sent to Livy: a DELETE would erase the finished batch's record, DESIGN.md rule 4).
 */
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { sigkillAll } from '../../dev/stack/managedProcess';
import { batchProcesses } from './support/batchProcesses';
import { appSpec, batchName, startRealLivyStack, type RealLivyStack } from './support/realLivyStack';

let stack: RealLivyStack;
/** Python drivers seen under a cancelled batch's spark-submit, killed in teardown if still there. */
const driversSeen: number[] = [];

beforeAll(async () => {
  stack = await startRealLivyStack('livy-real-cancel');
});
afterAll(async () => {
  // Local mode only: killing spark-submit can leave the Python driver it started running until it next
  // writes to its closed pipe or ends (on YARN the driver lives in the killed container). Not Shale's to clean.
  sigkillAll(driversSeen);
  await stack?.teardown();
});

async function livyBatch(name: string): Promise<{ status: number; state?: string }> {
  const response = await fetch(`${stack.livy.url}/batches/${name}`);
  const body = (await response.json()) as { state?: string };
  return { status: response.status, state: body.state };
}

// The two jobs are independent: they run side by side.
describe.concurrent('cancelling jobs on a real Livy', () => {
  it('cancels a running job with exactly one DELETE, and its spark-submit process is gone', async ({ expect }) => {
    const { jobId } = await stack.client.submit(appSpec('cancel-running', 'long_running.py', ['600']));
    const name = batchName(jobId);
    // Running for real: the app's own heartbeat line has reached Livy's log.
    await vi.waitFor(
      async () => {
        const log = (await (await fetch(`${stack.livy.url}/batches/${name}/log?from=0&size=1000`)).json()) as { log?: string[] };
        expect(log.log ?? []).toContainEqual(expect.stringMatching(/^shale-test: still running/));
      },
      { timeout: 120_000, interval: 500 },
    );
    const before = await batchProcesses(stack.livy, name);
    expect(before.sparkSubmit).toHaveLength(1);
    driversSeen.push(...before.drivers);
    expect((await stack.client.status(jobId)).state).toBe('RUNNING');

    const answer = await stack.client.cancel(jobId, { reason: 'wrong input date', requestedBy: 'oncall@example.com' });
    expect(answer).toMatchObject({ accepted: true, state: 'RUNNING' });
    const status = await stack.client.wait(jobId);
    expect(status.state).toBe('CANCELLED');
    expect(status.cancel).toMatchObject({ requestedBy: 'oncall@example.com', reason: 'wrong input date' });

    const deletes = stack.proxy.requestsFor({ name }).filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.status)).toEqual([200]);
    // DELETE erases Livy's record (LIVY.md).
    expect((await livyBatch(name)).status).toBe(404);
    await vi.waitFor(async () => expect((await batchProcesses(stack.livy, name)).sparkSubmit).toEqual([]), { timeout: 20_000, interval: 250 });
    for (const pid of before.sparkSubmit) expect(await stack.livy.sparkProcesses()).not.toContain(pid);
  });

  it('leaves a finished job SUCCEEDED when cancelled afterwards, and sends Livy nothing about it', async ({ expect }) => {
    const { jobId } = await stack.client.submit(appSpec('cancel-finished', 'long_running.py', ['1']));
    const name = batchName(jobId);
    const finished = await stack.client.wait(jobId);
    expect(finished.state).toBe('SUCCEEDED');
    const finishedAt = Date.parse(finished.finishedAt!);
    const sentBefore = stack.proxy.requestsFor({ name }).length;

    const answer = await stack.client.cancel(jobId, { reason: 'too late', requestedBy: 'oncall@example.com' });
    expect(answer).toMatchObject({ accepted: false, state: 'SUCCEEDED' });
    expect(answer.message).toMatch(/already ended SUCCEEDED/);
    const after = await stack.client.status(jobId);
    expect(after.state).toBe('SUCCEEDED');
    expect(after.cancel).toBeUndefined();

    // Every request about the batch came before the job's end; the cancel added none.
    const aboutIt = stack.proxy.requestsFor({ name });
    expect(aboutIt).toHaveLength(sentBefore);
    expect(aboutIt.filter((r) => r.at > finishedAt)).toEqual([]);
    expect(aboutIt.filter((r) => r.method === 'DELETE')).toEqual([]);
    // Livy still holds the finished batch: nothing erased its record.
    expect(await livyBatch(name)).toEqual({ status: 200, state: 'success' });
  });
});
