/**
 * A real Livy restarted under a running job (graceful stop, then start on the same port). With
 * recovery off Livy kills its apps when it stops and forgets every batch; its ids start at 0 again
 * (LIVY.md). DESIGN.md's rules for that: the batch is addressed by its name, so a batch Livy no
 * longer knows by name is lost (rule 2), never confused with whatever now holds its old id; it is
 * reconciled (rule 5: by name on Livy; this cluster has no ResourceManager to ask), counted as an
 * infra failure (rule 3), and the next attempt runs on a new batch, never beside a live one.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { batchProcesses } from './support/batchProcesses';
import { addressesBatch } from './support/recordingProxy';
import { appSpec, APPS_DIR, batchName, startRealLivyStack, type RealLivyStack } from './support/realLivyStack';

let stack: RealLivyStack;

beforeAll(async () => {
  stack = await startRealLivyStack('livy-real-restart');
});
afterAll(async () => {
  await stack?.teardown();
});

const TERMINAL = new Set(['success', 'dead', 'killed', 'error']);

interface LivyListing {
  sessions: Array<{ id: number; name: string | null; state: string }>;
}

/** Straight to Livy, not through the proxy: the test's own look, which the proxy must not count as Shale's. */
async function listBatches(): Promise<LivyListing['sessions']> {
  const response = await fetch(`${stack.livy.url}/batches?from=0&size=1000`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as LivyListing).sessions;
}

/**
 * Samples, until stopped, how many of the job's batches are live on Livy and how many of its
 * spark-submit processes run: "never two live attempts" (rule 5), checked as the job goes.
 */
function sampleLiveAttempts(jobId: string, names: string[]) {
  let stopped = false;
  const most = { batches: 0, sparkSubmits: 0, samples: 0 };
  const loop = (async () => {
    while (!stopped) {
      const batches = await listBatches().catch(() => undefined); // Livy is down for part of the test
      if (batches) {
        const live = batches.filter((b) => b.name?.startsWith(`${jobId}-a`) && !TERMINAL.has(b.state));
        most.batches = Math.max(most.batches, live.length);
      }
      let submits = 0;
      for (const name of names) submits += (await batchProcesses(stack.livy, name)).sparkSubmit.length;
      most.sparkSubmits = Math.max(most.sparkSubmits, submits);
      most.samples += 1;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return most;
    },
  };
}

describe('a real Livy restarted under a running job', () => {
  it('takes the batch Livy forgot as lost (not the batch that reuses its id) and runs the job again to SUCCEEDED', async () => {
    const { jobId } = await stack.client.submit(appSpec('restart', 'long_running.py', ['10']));
    const [first, second] = [batchName(jobId, 1), batchName(jobId, 2)];
    const sampler = sampleLiveAttempts(jobId, [first, second]);
    let most: Awaited<ReturnType<typeof sampler.stop>>;
    try {
      // Running for real: its spark-submit is up and the app has printed.
      await vi.waitFor(
        async () => {
          const log = (await (await fetch(`${stack.livy.url}/batches/${first}/log?from=0&size=1000`)).json()) as { log?: string[] };
          expect(log.log ?? []).toContainEqual(expect.stringMatching(/^shale-test: still running/));
        },
        { timeout: 120_000, interval: 500 },
      );
      const firstId = (await listBatches()).find((b) => b.name === first)!.id;
      expect((await stack.client.status(jobId)).attempts[0]).toMatchObject({ batchName: first, batchId: firstId });

      // The worker sees Livy down from the stop until the test has put a batch of its own under the reused id.
      stack.proxy.setPassing(false);
      await stack.livy.stop();
      // A graceful stop kills the apps (recovery is off).
      await vi.waitFor(async () => expect((await batchProcesses(stack.livy, first)).sparkSubmit).toEqual([]), { timeout: 20_000, interval: 250 });
      await stack.livy.start();
      const decoyName = `not-shale-${jobId}`;
      const decoyResponse = await fetch(`${stack.livy.url}/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-by': 'livy-real-test' },
        body: JSON.stringify({ name: decoyName, file: `${APPS_DIR}/long_running.py`, args: ['3'], driverMemory: '512m' }),
      });
      const decoy = (await decoyResponse.json()) as { id: number };
      // Ids started again at 0: the decoy now holds the id attempt 1 had.
      expect(decoy.id).toBe(firstId);
      stack.proxy.setPassing(true);

      const status = await stack.client.wait(jobId);
      expect(status.state).toBe('SUCCEEDED');
      expect(status.attempts.map((a) => [a.n, a.batchName, a.outcome])).toEqual([
        [1, first, 'INFRA_FAILED'],
        [2, second, 'SUCCEEDED'],
      ]);
      expect(status.attempts[0]!.reason).toMatch(/lost/i);
      expect(status.attempts[1]!.batchId).not.toBe(firstId);
      expect(status.budgets.infraFailures).toBe(1);

      // Shale addressed batches by name only, so nothing it sent could reach the decoy under the reused id.
      const requests = stack.proxy.requests();
      expect(requests.filter((r) => /^\/batches\/\d+(\/|\?|$)/.test(r.path))).toEqual([]);
      expect(requests.filter((r) => r.path.includes(decoyName) || r.createsBatch === decoyName)).toEqual([]);
      expect(requests.filter((r) => r.method === 'POST').map((r) => r.createsBatch)).toEqual([first, second]);
      // A fence of the lost attempt may ask for it by name (404): never for anything else.
      expect(requests.filter((r) => r.method === 'DELETE' && !addressesBatch(r.path, { name: first }))).toEqual([]);
      // The decoy ran undisturbed.
      await vi.waitFor(async () => expect((await listBatches()).find((b) => b.name === decoyName)?.state).toBe('success'), { timeout: 60_000, interval: 500 });
    } finally {
      most = await sampler.stop();
    }
    expect(most.samples).toBeGreaterThan(10);
    expect(most.batches).toBe(1);
    expect(most.sparkSubmits).toBe(1);
  });
});
