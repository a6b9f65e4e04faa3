/**
 * The production-shaped stack (dev/stack/productionStack.ts): PostgreSQL, two full Temporal server
 * processes sharing it, two real `shale worker` processes (worker i talks to server i), and two
 * simulated Livy clusters. Each fault lands while jobs are in flight (some submitting, some running)
 * and each must leave every job SUCCEEDED in one attempt with exactly one Livy POST (jobsInFlight.ts).
 * Faults: SIGKILL of each Temporal server in turn, SIGKILL of a worker, a PostgreSQL restart.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLivySimulator } from '../../dev/livy-sim';
import { startProductionStack, type ManagedProcess, type ProductionStack } from '../../dev/stack/productionStack';
import type { ShaleClient } from '../../client/shaleClient';
import type { JobStatus } from '../../contract';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../contract';
import { INDEXED_TYPE, missingSearchAttributes } from '../../client/registerSearchAttributes';
import { checkExternalTemporal } from '../setup/externalTemporal';
import { activityHolders, connectClients, liveBatches, submitJobs, untilAllEnded, untilPosted, violations, type SimulatedClusters } from './jobsInFlight';


/** Jobs per fault: enough that some are submitting and some running when it lands. */
const JOBS = 8;
/**
 * A worker that dies with a job's tracking activity is noticed by its heartbeat timeout (1 minute,
 * workflows/activityStubs.ts); the retry on the other worker sees the batch's end at once.
 */
const JOBS_END_WITHIN_MS = 150_000;

let clusters: SimulatedClusters;
let stack: ProductionStack;
let connections: Connection[] = [];
/** clients[i] talks to server i+1 only. */
let clients: ShaleClient[] = [];

beforeAll(async () => {
  const [spark2, spark3] = await Promise.all([
    startLivySimulator({ name: 'spark2', startingMs: 200, defaultDurationMs: 3_000 }),
    startLivySimulator({ name: 'spark3', startingMs: 200, defaultDurationMs: 3_000 }),
  ]);
  clusters = { spark2, spark3 };
  stack = await startProductionStack({
    clusters: [
      { id: 'emr5-spark2', livyUrl: spark2.url, sparkVersion: '2', pool: 'default' },
      { id: 'emr6-spark3', livyUrl: spark3.url, sparkVersion: '3', pool: 'default' },
    ],
    workers: 2,
    api: false,
    // Set it to keep the stack's configs and process logs (one file per process) after the run.
    dir: process.env.SHALE_PRODUCTION_STACK_DIR || undefined,
    // Fresh batch states for jobs of a few seconds.
    workerConfig: { livy: { pollIntervalMs: 250, requestTimeoutMs: 2_000 }, worker: { heartbeatIntervalMs: 1_000, shutdownGraceSeconds: 2 } },
  });
  connections = await Promise.all(stack.temporalAddresses.map((address) => Connection.connect({ address })));
  clients = await connectClients(connections, stack.taskQueue, stack.namespace);
}, 600_000);

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await stack?.stop();
  await Promise.all([clusters?.spark2.close(), clusters?.spark3.close()]);
});

interface Fault {
  /** Submits through this server (index); both are asked while waiting. */
  submitVia: number;
  inject(jobIds: string[]): Promise<void>;
  /** After every job ended: the stack back to whole. */
  recover(): Promise<void>;
}

/** Jobs in flight, the fault once half of them are POSTed, then the invariants; prints one line of timings. */
async function jobsSurvive(scenario: string, fault: Fault): Promise<void> {
  const started = Date.now();
  const jobIds = await submitJobs(clients[fault.submitVia]!, scenario, JOBS);
  await untilPosted(clusters, jobIds, JOBS / 2, 60_000);
  const alive = await liveBatches(clusters, jobIds);
  expect(alive.length, 'the fault must land while batches run').toBeGreaterThan(0);
  const faultAt = Date.now();
  await fault.inject(jobIds);
  let endedAt: number;
  let statuses: JobStatus[];
  try {
    // Both servers are asked at once: whichever answers.
    statuses = await untilAllEnded(clients, jobIds, JOBS_END_WITHIN_MS);
    endedAt = Date.now();
  } finally {
    // Whole again even when this fault failed: the next one starts from a complete stack.
    await fault.recover();
  }
  console.log(
    `${scenario}: ${JOBS} jobs, fault with ${alive.length} batches running, all ended ${((endedAt - faultAt) / 1000).toFixed(1)} s after it; ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s in all`,
  );
  expect(violations(clusters, statuses)).toEqual([]);
  expect(stack.workers.filter((w) => !w.running).map((w) => w.name), 'workers that died').toEqual([]);
}

describe('the production stack: PostgreSQL, two Temporal servers, two Shale workers', () => {
  it("passes the e2e switch's check on both servers, and the check names what a namespace lacks", async () => {
    for (const address of stack.temporalAddresses) await checkExternalTemporal({ address, namespace: stack.namespace });
    const bare = `shale-bare-${process.pid}`;
    await connections[0]!.workflowService.registerNamespace({ namespace: bare, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await expect(checkExternalTemporal({ address: stack.temporalAddresses[0], namespace: bare })).rejects.toThrow(
      `namespace ${bare} lacks Shale's search attributes ShaleState (Keyword)`,
    );
    // A name registered with another type is as unusable as a missing one (upserts fail), and said so.
    const registered = Object.fromEntries(SEARCH_ATTRIBUTE_DECLARATIONS.map(([name, type]) => [name, INDEXED_TYPE[type === 'Int' ? 'Keyword' : type]]));
    expect(missingSearchAttributes(registered)).toEqual(['ShaleAttempt (Int, registered as Keyword)']);
  });

  it('SIGKILL of Temporal server 1 mid-job: every job ends SUCCEEDED with one batch; server 1 starts again', async () => {
    const [server1] = stack.servers;
    await jobsSurvive('kill-server-1', { submitVia: 0, inject: () => server1.kill(), recover: () => server1.start() });
    expect(server1.running).toBe(true);
  });

  it('SIGKILL of Temporal server 2 mid-job: likewise', async () => {
    const [, server2] = stack.servers;
    await jobsSurvive('kill-server-2', { submitVia: 1, inject: () => server2.kill(), recover: () => server2.start() });
    expect(server2.running).toBe(true);
  });

  it("SIGKILL of the worker running most of the jobs' activities, mid-job: the other worker carries on; the killed one starts again", async () => {
    // The worker running most of the jobs' activities now (their identity is the SDK's `pid@host`).
    let victim = stack.workers[0]!;
    const inject = async (jobIds: string[]) => {
      const holders = await activityHolders(clients, jobIds);
      const held = (w: ManagedProcess) => holders.filter((identity) => identity.startsWith(`${w.pid}@`)).length;
      victim = stack.workers.reduce((most, w) => (held(w) > held(most) ? w : most));
      expect(held(victim), `activities held by the workers: ${holders.join(', ')}`).toBeGreaterThan(0);
      console.log(`kill-worker: ${victim.name} holds ${held(victim)} of ${holders.length} running activities`);
      await victim.kill();
    };
    await jobsSurvive('kill-worker', { submitVia: 0, inject, recover: () => victim.start() });
  });

  it('PostgreSQL restarted mid-job (pg_ctl restart): likewise', async () => {
    await jobsSurvive('restart-postgres', { submitVia: 0, inject: () => stack.postgres.restart(), recover: async () => undefined });
  });
});
