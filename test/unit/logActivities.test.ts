import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StaticClusters } from '../../activities/clusters/cluster';
import { LivyClients } from '../../activities/livy/client';
import { createLogActivities, type LogActivities } from '../../activities/logActivities';
import { startLivySimulator, STDERR_MARKER, type LivySimulator } from '../../dev/livy-sim/index';
import { rejection } from '../support/activityTesting';

/** Runs the activity in a fresh mock context whose logger keeps the failures these tests provoke off stderr. */
function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  const logger = new DefaultLogger('WARN', (entry) => {
    if (entry.message === 'Activity failed' && entry.meta?.error instanceof ApplicationFailure) return;
    process.stderr.write(`[${entry.level}] ${entry.message}\n`);
  });
  return new MockActivityEnvironment(undefined, { logger }).run(fn, ...args);
}

const SECRET = 'Bearer log-reader-s3cr3t';

describe('readBatchLog (the worker reads the log for `shale logs`)', () => {
  let sim: LivySimulator;
  let livy: LivyClients;
  let activities: LogActivities;

  beforeAll(async () => {
    sim = await startLivySimulator({ name: 'logs', csrf: true, startingMs: 10 });
    livy = new LivyClients({ authHeader: { name: 'Authorization', value: SECRET } });
    activities = createLogActivities({ clusters: new StaticClusters([{ id: 'emr-1', livyUrl: sim.url, tags: {} }]), livy });
  });
  afterAll(async () => {
    await livy.close();
    await sim.close();
  });

  async function finishedBatch(name: string, conf: Record<string, string>): Promise<void> {
    await livy.for(sim.url).createBatch({ name, file: 's3://b/x.py', conf: { 'shale.sim.durationMs': '0', ...conf } });
    await vi.waitFor(async () => expect(['success', 'dead']).toContain((await livy.for(sim.url).getBatch(name)).state), { timeout: 3_000, interval: 10 });
  }

  it('reads the whole log by name with the worker\'s own Livy URL and credential, split at the markers', async () => {
    const name = 'job-1-a1';
    await finishedBatch(name, { 'shale.sim.logLines': '3', 'shale.sim.outcome': 'dead' });
    sim.clearRequests();
    const read = await runActivity(activities.readBatchLog, { cluster: 'emr-1', batchName: name });
    expect(read).toEqual({
      found: true,
      from: 0,
      total: 6,
      sections: [
        { name: 'stdout', lines: [`line 1 of ${name}`, `line 2 of ${name}`, `line 3 of ${name}`] },
        { name: 'stderr', lines: ['YARN Diagnostics: User application exited with status 1'] },
      ],
      lines: [`line 1 of ${name}`, `line 2 of ${name}`, `line 3 of ${name}`, 'YARN Diagnostics: User application exited with status 1'],
    });
    expect(sim.requests()).toEqual([expect.objectContaining({ method: 'GET', path: `/batches/${name}/log`, hasAuth: true })]);
  });

  it('a size alone reads from the tail; markers never come back as lines', async () => {
    const name = 'job-2-a1';
    await finishedBatch(name, { 'shale.sim.logLines': '10', 'shale.sim.outcome': 'exit-nonzero' });
    const read = await runActivity(activities.readBatchLog, { cluster: 'emr-1', batchName: name, size: 3 });
    expect(read).toMatchObject({ found: true, from: 9, total: 12, lines: [`line 9 of ${name}`, `line 10 of ${name}`] });
    expect(read.lines).not.toContain(STDERR_MARKER);
  });

  it('a batch Livy no longer holds is not found, not an error', async () => {
    expect(await runActivity(activities.readBatchLog, { cluster: 'emr-1', batchName: 'gone-a1' })).toEqual({ found: false, from: 0, total: 0, sections: [], lines: [] });
  });

  it('a cluster the worker does not know is refused for good (no URL is ever taken from the caller)', async () => {
    const err = await rejection(runActivity(activities.readBatchLog, { cluster: 'http://evil.example', batchName: 'job-1-a1' }), ApplicationFailure);
    expect(err).toMatchObject({ type: 'UnknownCluster', nonRetryable: true });
  });

  it('Livy not answering is a retryable failure', async () => {
    sim.setFaults({ dropRate: 1 });
    try {
      const err = await rejection(runActivity(activities.readBatchLog, { cluster: 'emr-1', batchName: 'job-1-a1' }), ApplicationFailure);
      expect(err).toMatchObject({ type: 'LivyUnreachable' });
      expect(err.nonRetryable).toBeFalsy();
      expect(err.message).not.toContain(SECRET);
    } finally {
      sim.setFaults({ dropRate: 0 });
    }
  });
});
