/**
 * The real-Livy stack for one test file: a real Apache Livy 0.7.1 with Spark 3.5 in local mode
 * (dev/stack/realLivy.ts), a recording proxy in front of it, a real Shale worker on its own task
 * queue with that Livy as its one cluster, and a ShaleClient, as a user has them. Livy is slow to
 * start (~4 s) and each Spark app takes seconds, so a file starts one stack and runs its jobs on it.
 */
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { startRealLivy, type RealLivy } from '../../../dev/stack/realLivy';
import { ShaleClient } from '../../../client/shaleClient';
import { parseWorkerConfig } from '../../../worker/config';
import { createShaleWorker, type ShaleWorker } from '../../../worker/createWorker';
import { installQuietRuntime, uniqueTaskQueue, workflowBundle } from '../../support/workflowEnv';
import { compileJarApp } from './jarApp';
import { startRecordingProxy, type RecordingProxy } from './recordingProxy';

export const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** The apps the suite runs (dev/spark-apps) and the SQL runner Shale ships. */
export const APPS_DIR = join(REPO, 'dev/spark-apps');
export const SQL_RUNNER = join(REPO, 'activities/livy/sql_runner.py');
export const CLUSTER_ID = 'local-livy';

/** Small enough that several local-mode apps fit on a 2-core CI machine (Livy passes them to spark-submit). */
const LOCAL_SIZE = { driverMemory: '512m', driverCores: 1, executorMemory: '512m', executorCores: 1, minExecutors: 0, maxExecutors: 1 };

export interface RealLivyStack {
  livy: RealLivy;
  proxy: RecordingProxy;
  client: ShaleClient;
  shale: ShaleWorker;
  taskQueue: string;
  /** The compiled jar app (dev/spark-apps/java), when the stack was asked for it. */
  jarPath?: string;
  teardown(): Promise<void>;
}

export interface RealLivyStackOptions {
  /** Compile dev/spark-apps/java/ShaleJarApp.java into a jar (javac against Spark's jars) while Livy starts. */
  jar?: boolean;
}

export async function startRealLivyStack(prefix: string, options: RealLivyStackOptions = {}): Promise<RealLivyStack> {
  installQuietRuntime({ hideScriptedFailures: true });
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const taskQueue = uniqueTaskQueue(prefix);
  // Bundling the workflows takes seconds, as does Livy's start: both at once.
  const bundle = workflowBundle();
  bundle.catch(() => undefined); // awaited below; a failure there is reported then
  // The jar's folder must be on Livy's whitelist from the start: it is made first, filled while Livy starts.
  const jarDir = options.jar ? await mkdtemp(join(tmpdir(), 'shale-jar-app-')) : undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  if (jarDir) cleanups.push(() => rm(jarDir, { recursive: true, force: true }));
  const teardownAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: Error) => process.stderr.write(`teardown: ${err.message}\n`));
  };
  try {
    const livy = await startRealLivy({ allowedDirs: [APPS_DIR, join(REPO, 'activities/livy'), ...(jarDir ? [jarDir] : [])], stateRetainSeconds: 600 });
    cleanups.push(() => livy.close());
    const [jarPath, proxy] = await Promise.all([jarDir ? compileJarApp(livy.sparkHome, jarDir) : Promise.resolve(undefined), startRecordingProxy(livy.url)]);
    cleanups.push(() => proxy.close());
    const config = parseWorkerConfig({
      temporal: { address, namespace, taskQueue },
      clusters: [{ id: CLUSTER_ID, livyUrl: proxy.url, sparkVersion: '3', pool: 'default' }],
      sqlRunnerUri: `file://${SQL_RUNNER}`,
      // A real Livy under a loaded CI machine answers in hundreds of ms, not the simulator's few.
      livy: { pollIntervalMs: 500, requestTimeoutMs: 10_000 },
      worker: { heartbeatIntervalMs: 1000, shutdownGraceSeconds: 2 },
      sizes: { SMALL: LOCAL_SIZE, DEFAULT: LOCAL_SIZE },
    });
    const connection = await NativeConnection.connect({ address });
    cleanups.push(() => connection.close());
    const shale = await createShaleWorker(config, { connection, workflowBundle: await bundle, identity: `livy-real-worker@${taskQueue}` });
    const running = shale.run();
    cleanups.push(async () => {
      shale.shutdown();
      await running;
    });
    const clientConnection = await Connection.connect({ address });
    cleanups.push(() => clientConnection.close());
    const client = await ShaleClient.connect({ connection: clientConnection, namespace, taskQueue, identity: 'livy-real-tester@ci' });
    return { livy, proxy, client, shale, taskQueue, ...(jarPath ? { jarPath } : {}), teardown: teardownAll };
  } catch (err) {
    await teardownAll();
    throw err;
  }
}

/** What every job of the suite has: its team, the route to the one cluster, quick retries. */
export function baseSpec(name: string) {
  return {
    name,
    team: 'livy-real',
    route: { sparkVersion: '3' },
    // An app failure is not retried (an app that fails fails again, and each run costs seconds); infra failures are.
    retry: { app: 0, infra: 3, initialBackoff: 1, maxBackoff: 2 },
  };
}

/** A pyspark job running one of dev/spark-apps on the real Livy. */
export function appSpec(name: string, app: string, args: string[] = []) {
  return { ...baseSpec(name), kind: 'pyspark', file: `file://${join(APPS_DIR, app)}`, args };
}

/** The attempt's Livy batch name (DESIGN.md rule 1): what every request about it is addressed by. */
export function batchName(jobId: string, attempt = 1): string {
  return `${jobId}-a${attempt}`;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function pollFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
