/**
 * The worker process as operators run it (`shale worker --config`), scraped over HTTP: Temporal's
 * core metrics and Shale's own job and Livy metrics on one Prometheus endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { ShaleClient } from '../../client/shaleClient';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { stopProcess } from '../../dev/stack/processes';
import { freePort } from '../../dev/stack/ports';
import { uniqueTaskQueue } from '../support/workflowEnv';
import { simSpec } from '../support/stack';

const SHALE = fileURLToPath(new URL('../../bin/shale', import.meta.url));
let worker: ChildProcess;
let livy: LivySimulator;
let client: ShaleClient;
let metricsUrl: string;
let workerLog = '';

beforeAll(async () => {
  livy = await startLivySimulator({ name: 'metrics', startingMs: 100, defaultDurationMs: 300 });
  const taskQueue = uniqueTaskQueue('e2e-metrics');
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const dir = await mkdtemp(join(tmpdir(), 'shale-metrics-'));
  const config = join(dir, 'shale.yaml');
  await writeFile(
    config,
    toYaml({
      temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue },
      clusters: [{ id: 'metrics-cluster', livyUrl: livy.url, sparkVersion: '3' }],
      livy: { pollIntervalMs: 100 },
      metrics: { prometheusBindAddress: `127.0.0.1:${port}` },
    }),
  );
  worker = spawn(SHALE, ['worker', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  worker.stderr!.on('data', (chunk) => (workerLog += chunk));
  client = await ShaleClient.connect({ address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue, identity: 'metrics-test' });
});
afterAll(async () => {
  await client?.close();
  if (worker) await stopProcess(worker, 15_000);
  await livy?.close();
});

describe('the worker exports Prometheus metrics', () => {
  it("serves Temporal's and Shale's metrics after a job", async () => {
    const { jobId } = await client.submit({ ...simSpec('metered'), route: {} });
    const status = await client.wait(jobId, { pollIntervalMs: 100 });
    expect(status.state).toBe('SUCCEEDED');
    await vi.waitFor(
      async () => {
        const text = await (await fetch(metricsUrl)).text();
        expect(text).toMatch(/^shale_jobs_submitted_total\{.*team="e2e".*\} 1$/m);
        expect(text).toMatch(/^shale_jobs_finished_total\{.*state="SUCCEEDED".*\} 1$/m);
        expect(text).toMatch(/^shale_attempts_finished_total\{.*outcome="SUCCEEDED".*\} 1$/m);
        expect(text).toMatch(/^shale_job_duration_seconds_count\{.*\} 1$/m);
        expect(text).toMatch(/^shale_livy_request_duration_ms_count\{.*method="POST".*\} 1$/m);
        expect(text).toMatch(/^temporal_workflow_completed_total\{/m);
      },
      { timeout: 20_000, interval: 250 },
    );
    // The lifecycle is in the worker's JSON log, one line per event.
    const events = workerLog
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; jobId?: string })
      .filter((e) => e.jobId === jobId)
      .map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['job.accepted', 'attempt.routed', 'batch.state', 'attempt.finished', 'job.state']));
  });
});
