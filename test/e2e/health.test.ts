/**
 * Storm protection and sizing caps end to end: Livy's capacity answer is back-pressure (the job
 * waits on the same attempt, nothing counts against the cluster's breaker, which 5xx answers and
 * dropped connections open: test/unit/fencing.activities.test.ts, breaker.test.ts), and a spec over
 * its team's cap is refused without a POST.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { simSpec, startStack, type E2EStack } from '../support/stack';

let stack: E2EStack;
let busy: LivySimulator;

beforeAll(async () => {
  // One spark-submit in flight at a time: a batch stuck in 'starting' makes every POST a capacity refusal.
  busy = await startLivySimulator({ name: 'busy', maxInFlightSubmits: 1, startingMs: 100, defaultDurationMs: 300 });
  stack = await startStack('e2e-health', {
    clusters: [{ id: 'busy', livyUrl: busy.url, sparkVersion: '3' }],
    clusterHealth: { breakerFailureThreshold: 3, breakerCoolDownSeconds: 3 },
    teams: { capped: { maxSize: 'LARGE' } },
  });
});
afterAll(async () => {
  await stack?.teardown();
  await busy?.close();
});

async function occupy(sim: LivySimulator): Promise<number> {
  const res = await fetch(`${sim.url}/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-by': 'test' },
    body: JSON.stringify({ file: 's3://other/app.py', name: `blocker-${Date.now()}`, conf: { 'shale.sim.startingMs': '600000' } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

describe('circuit breaker and sizing caps', () => {
  it("treats Livy's capacity answer as back-pressure: the job waits on the same attempt, no breaker strike, one POST once there is room", async () => {
    const blocker = await occupy(busy);
    const { jobId } = await stack.client.submit(simSpec('waits-for-room', {}, { route: { clusterId: 'busy' }, retry: { initialBackoff: 1, maxBackoff: 1 }, timeouts: { queue: 120 } }));
    const name = `${jobId}-a1`;
    await vi.waitFor(() => expect(busy.requests({ method: 'POST', name }).length).toBeGreaterThanOrEqual(4), { timeout: 30_000, interval: 100 });
    const waiting = await stack.client.status(jobId);
    expect(waiting.state).toBe('QUEUED');
    expect(waiting.attempts).toHaveLength(1);
    expect(waiting.budgets.infraFailures).toBe(0);

    expect(busy.finish(blocker, 'success')).toBe(true);
    const ran = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(ran.state).toBe('SUCCEEDED');
    expect(ran.attempts).toHaveLength(1);
    expect(busy.requests({ method: 'POST', name }).filter((r) => r.status === 201)).toHaveLength(1);
  });

  it('refuses a size over the team cap, naming the cap, without a POST', async () => {
    const { jobId } = await stack.client.submit({ ...simSpec('too-big', {}, { route: { clusterId: 'busy' }, size: 'EXTRA_LARGE' }), team: 'capped' });
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('FAILED');
    expect(status.lastError).toMatchObject({ type: 'PolicyViolation', class: 'fatal' });
    expect(status.lastError!.message).toContain('teams.capped.maxSize');
    expect(status.lastError!.message).toContain('LARGE');
    expect(busy.requests({ method: 'POST', name: `${jobId}-a1` })).toHaveLength(0);
  });
});
