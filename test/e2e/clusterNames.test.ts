/**
 * Clusters show their EMR name beside the id, and a cluster filter accepts either: a job routed to
 * an EMR cluster (moto) records the cluster's name on its attempt, and `list` finds it by id or name.
 */
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import type { EMRClient } from '@aws-sdk/client-emr';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { formatList, formatStatus } from '../../client/format';
import { createCluster, emrClient } from '../support/emr';
import { simSpec, startStack, type E2EStack } from '../support/stack';

let stack: E2EStack;
let emr: EMRClient;
let sim: LivySimulator;
let clusterId: string;
const clusterName = `analytics-${Date.now().toString(36)}`;

beforeAll(async () => {
  emr = emrClient();
  const tags = { 'shale:test-run': `cluster-names-${process.pid}-${Date.now()}` };
  sim = await startLivySimulator({ name: 'named', startingMs: 100, defaultDurationMs: 300 });
  clusterId = await createCluster(emr, { name: clusterName, releaseLabel: 'emr-6.15.0', livyUrl: sim.url, pool: 'named', tags });
  stack = await startStack('e2e-cluster-names', {
    clusters: [],
    emr: { enabled: true, endpoint: inject('motoEndpoint'), region: 'us-east-1', cacheTtlMs: 200, stateCheckIntervalMs: 200, requiredTags: tags, tagUrlAllowlist: ['http://127.0.0.1:*'] },
  });
});
afterAll(async () => {
  await stack?.teardown();
  await sim?.close();
  emr?.destroy();
});

describe('an EMR cluster is shown and found by its name as well as its id', () => {
  it('records the name on the attempt, prints `id (name)`, and lists the job by either', async () => {
    const { jobId } = await stack.client.submit(simSpec('named', {}, { route: { pool: 'named' } }));
    const status = await stack.client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempts[0]).toMatchObject({ cluster: clusterId, clusterName });
    expect(formatStatus(status)).toContain(`${clusterId} (${clusterName})`);
    for (const cluster of [clusterId, clusterName]) {
      await vi.waitFor(async () => expect((await stack.client.list({ cluster })).map((j) => j.jobId)).toEqual([jobId]), { timeout: 20_000, interval: 250 });
    }
    const [listed] = await stack.client.list({ cluster: clusterName });
    expect(listed).toMatchObject({ cluster: clusterId, clusterName });
    expect(formatList([listed!])).toContain(`${clusterId} (${clusterName})`);
  });
});
