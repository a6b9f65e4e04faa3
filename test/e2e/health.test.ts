/**
 * Storm protection and sizing caps end to end: a cluster that keeps refusing submissions opens its
 * circuit breaker (routing stops sending it work), a good probe after the cool-down closes it, and
 * a spec over its team's cap is refused without a POST.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  it('opens after repeated capacity refusals, keeps jobs away, and closes after a good probe', async () => {
    const blocker = await occupy(busy);
    const spec = (name: string, extra: Record<string, unknown> = {}) =>
      simSpec(name, {}, { route: { clusterId: 'busy' }, retry: { infra: 2, initialBackoff: 1, maxBackoff: 1 }, ...extra });

    const first = await stack.client.submit(spec('refused'));
    const refused = await stack.client.wait(first.jobId, { pollIntervalMs: 100 });
    expect(refused.state).toBe('FAILED');
    expect(refused.attempts.map((a) => a.outcome)).toEqual(['INFRA_FAILED', 'INFRA_FAILED', 'INFRA_FAILED']);
    expect(refused.lastError).toMatchObject({ type: 'LivyCapacity' });

    // The breaker is open: a job for that cluster waits for it instead of POSTing, and gives up at its queue timeout.
    const second = await stack.client.submit(spec('kept-away', { timeouts: { queue: 1 } }));
    const keptAway = await stack.client.wait(second.jobId, { pollIntervalMs: 100 });
    expect(keptAway.state).toBe('TIMED_OUT');
    expect(busy.requests({ method: 'POST', name: `${second.jobId}-a1` })).toHaveLength(0);

    // Capacity is back; after the cool-down a probe closes the breaker and the next job runs.
    expect(busy.finish(blocker, 'success')).toBe(true);
    const third = await stack.client.submit(spec('after-cool-down', { timeouts: { queue: 60 } }));
    const ran = await stack.client.wait(third.jobId, { pollIntervalMs: 100 });
    expect(ran.state).toBe('SUCCEEDED');
    expect(busy.requests({ method: 'POST', name: `${third.jobId}-a1` })).toHaveLength(1);
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
