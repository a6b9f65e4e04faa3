/**
 * The e2e stack for one test file: the run's dev server (from globalSetup), two Livy simulators
 * (Spark 2 and Spark 3), a real Shale worker on its own task queue, and a ShaleClient.
 */
import { NativeConnection } from '@temporalio/worker';
import { Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { parseWorkerConfig, type WorkerConfigInput } from '../../worker/config';
import { createShaleWorker, type ShaleWorker } from '../../worker/createWorker';
import { ShaleClient } from '../../client/shaleClient';
import type { LogEntry } from '@temporalio/worker';
import { captureRuntimeLogs, installQuietRuntime, uniqueTaskQueue, workflowBundle } from './workflowEnv';

export interface E2EStack {
  address: string;
  namespace: string;
  taskQueue: string;
  spark2: LivySimulator;
  spark3: LivySimulator;
  client: ShaleClient;
  shale: ShaleWorker;
  teardown(): Promise<void>;
}

export interface StackOptions {
  /** Another Temporal server than the run's shared one (e.g. one with the Web UI); its namespace is `default`. */
  address?: string;
  /** The worker's environment (secrets named by the config, e.g. `livy.authHeaderFromEnv`); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Receives every Runtime log entry (all levels) from before the worker starts until teardown. */
  logSink?: (entry: LogEntry) => void;
}

export async function startStack(prefix: string, overrides: Partial<WorkerConfigInput> = {}, options: StackOptions = {}): Promise<E2EStack> {
  // Activities fail on purpose here (lost batches, refusals): their ApplicationFailures are not printed.
  installQuietRuntime({ hideScriptedFailures: true });
  const stopCapture = options.logSink ? captureRuntimeLogs(options.logSink) : undefined;
  const address = options.address ?? inject('temporalAddress');
  const namespace = options.address ? 'default' : inject('temporalNamespace');
  const taskQueue = uniqueTaskQueue(prefix);
  const [spark2, spark3] = await Promise.all([
    startLivySimulator({ name: 'spark2', startingMs: 100, defaultDurationMs: 500 }),
    startLivySimulator({ name: 'spark3', startingMs: 100, defaultDurationMs: 500 }),
  ]);
  const config = parseWorkerConfig({
    temporal: { address, namespace, taskQueue },
    clusters: [
      { id: 'emr5-spark2', livyUrl: spark2.url, sparkVersion: '2', pool: 'default' },
      { id: 'emr6-spark3', livyUrl: spark3.url, sparkVersion: '3', pool: 'default' },
    ],
    // Fresh states and quick failure detection for short simulated jobs.
    livy: { pollIntervalMs: 100, requestTimeoutMs: 1000, failoverAfterUnreachableSeconds: 2 },
    worker: { heartbeatIntervalMs: 1000, shutdownGraceSeconds: 2 },
    ...overrides,
  });
  const connection = await NativeConnection.connect({ address });
  const shale = await createShaleWorker(config, {
    connection,
    workflowBundle: await workflowBundle(),
    identity: `e2e-worker@${taskQueue}`,
    ...(options.env ? { env: options.env } : {}),
  });
  const running = shale.run();
  const clientConnection = await Connection.connect({ address });
  const client = await ShaleClient.connect({ connection: clientConnection, namespace, taskQueue, identity: 'e2e-tester@ci' });
  return {
    address,
    namespace,
    taskQueue,
    spark2,
    spark3,
    client,
    shale,
    async teardown() {
      shale.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
      await Promise.all([spark2.close(), spark3.close()]);
      stopCapture?.();
    },
  };
}

/** A spec that runs on the Spark 3 simulator; `conf` drives the simulated batch (dev/livy-sim). */
export function simSpec(name: string, conf: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return {
    name,
    team: 'e2e',
    kind: 'pyspark',
    file: 's3://shale-e2e/jobs/app.py',
    route: { sparkVersion: '3' },
    retry: { initialBackoff: 1, maxBackoff: 2 },
    conf: { 'shale.sim.durationMs': '300', ...conf },
    ...extra,
  };
}

/**
 * The describe title of a file that starts a Temporal server of its own even when the run was given
 * one (SHALE_TEST_TEMPORAL_ADDRESS): under that switch the title says so and why, so the run's output
 * shows which results did not come from the external server.
 */
export function onOwnServer(title: string, why: string): string {
  if (!inject('temporalExternal')) return title;
  const note = `on a dev server of its own, not SHALE_TEST_TEMPORAL_ADDRESS: ${why}`;
  // The default reporter shows test names, not describe titles: the note is printed as well.
  console.info(`${title}: ${note}`);
  return `${title} [${note}]`;
}
