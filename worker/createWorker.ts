/** Builds a Shale worker: one Livy pool and one batch watcher shared by every job it runs. */
import { readFile } from 'node:fs/promises';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/createActivities';
import { StaticClusters, type ClusterDirectory } from '../activities/clusters/cluster';
import { CombinedClusters, EmrClusters } from '../activities/clusters/emrClusters';
import { HealthProbe } from '../activities/clusters/health';
import { CircuitBreakers } from '../activities/clusters/breaker';
import { SubmissionRateLimiter } from '../activities/clusters/rateLimiter';
import { BatchWatcher } from '../activities/livy/batchWatcher';
import { LivyClients } from '../activities/livy/client';
import { livyAuthHeader, sizeSettingsOf, temporalConnectionOptions, type WorkerConfig } from './config';
import { livyRequestMetrics } from './runtime';
import { bundleShaleWorkflows } from './bundleWorkflows';
import { createLogActivities } from '../activities/logActivities';
import { createRunActivities } from '../activities/runActivities';
import { ResourceManagers } from '../activities/yarn/resourceManager';
import { workerVersioning } from './versioning';
import { workerLogger } from './runtime';

export interface ShaleWorker {
  worker: Worker;
  /** What the worker runs as: unversioned, or its Worker Deployment version and build id. */
  versioning: string;
  livy: LivyClients;
  /** Runs until shutdown() is called or the process is signalled. */
  run(): Promise<void>;
  shutdown(): void;
}

export interface CreateWorkerOptions {
  connection?: NativeConnection;
  env?: NodeJS.ProcessEnv;
  clusters?: ClusterDirectory;
  /** Pre-bundled workflow code (tests bundle once per file; production images bundle at build time). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
}

export async function createShaleWorker(config: WorkerConfig, options: CreateWorkerOptions = {}): Promise<ShaleWorker> {
  const env = options.env ?? process.env;
  const connection = options.connection ?? (await NativeConnection.connect(await temporalConnectionOptions(config, env)));
  const livy = new LivyClients({
    onRequest: livyRequestMetrics(),
    authHeader: livyAuthHeader(config, env),
    requestTimeoutMs: config.livy.requestTimeoutMs,
    ca: config.livy.caFile ? await readFile(config.livy.caFile, 'utf8') : undefined,
  });
  const log = workerLogger();
  const watcher = new BatchWatcher(livy, { pollIntervalMs: config.livy.pollIntervalMs, logger: log.child({ component: 'livy-watcher' }) });
  const ca = config.livy.caFile ? await readFile(config.livy.caFile, 'utf8') : undefined;
  // The ResourceManager answers for batches Livy forgot (rule 5); same CA as Livy (both on the primary node).
  const yarn = new ResourceManagers({ requestTimeoutMs: config.livy.requestTimeoutMs, ca });
  const staticClusters = new StaticClusters(config.clusters.map((c) => ({ ...c })));
  const emr = config.emr.enabled
    ? new EmrClusters({
        region: config.emr.region,
        endpoint: config.emr.endpoint,
        cacheTtlMs: config.emr.cacheTtlMs,
        // Fresh enough that each periodic check sees the current state, shared by every job on the cluster.
        stateTtlMs: config.emr.stateCheckIntervalMs / 2,
        requiredTags: config.emr.requiredTags,
        tagUrlAllowlist: config.emr.tagUrlAllowlist,
        logger: log.child({ component: 'emr-discovery' }),
      })
    : undefined;
  const clusters = options.clusters ?? (emr ? new CombinedClusters([staticClusters, emr]) : staticClusters);
  const activities = createActivities({
    clusters,
    yarn,
    failoverAfterUnreachableMs: config.livy.failoverAfterUnreachableSeconds === undefined ? undefined : config.livy.failoverAfterUnreachableSeconds * 1000,
    livyRequestTimeoutMs: config.livy.requestTimeoutMs,
    clusterCheckIntervalMs: config.emr.stateCheckIntervalMs,
    breakers: new CircuitBreakers({
      failureThreshold: config.clusterHealth.breakerFailureThreshold,
      coolDownMs: config.clusterHealth.breakerCoolDownSeconds * 1000,
    }),
    rateLimiter: new SubmissionRateLimiter({ perSecond: config.clusterHealth.submissionsPerSecond, burst: config.clusterHealth.submissionBurst }),
    teams: config.teams,
    livy,
    watcher,
    health: new HealthProbe(livy),
    batchSettings: { sizes: sizeSettingsOf(config), sqlRunnerUri: config.sqlRunnerUri },
    heartbeatIntervalMs: config.worker.heartbeatIntervalMs,
  });
  const versioning = await workerVersioning({ env });
  const worker = await Worker.create({
    ...versioning.workerOptions,
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    // A bundle built ahead of time if SHALE_WORKFLOW_BUNDLE names one (the image's, see worker/bundleWorkflows.ts), else bundle now.
    workflowBundle:
      options.workflowBundle ??
      (env.SHALE_WORKFLOW_BUNDLE
        ? { codePath: env.SHALE_WORKFLOW_BUNDLE }
        : await bundleShaleWorkflows()),
    activities: { ...activities, ...createLogActivities({ clusters, livy }), ...createRunActivities() },
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    maxConcurrentWorkflowTaskPolls: Math.min(config.worker.workflowTaskPollers, config.worker.maxConcurrentWorkflowTasks),
    maxConcurrentActivityTaskPolls: config.worker.activityTaskPollers,
    shutdownGraceTime: `${config.worker.shutdownGraceSeconds}s`,
  });
  return {
    worker,
    versioning: versioning.summary,
    livy,
    async run() {
      try {
        await worker.run();
      } finally {
        watcher.stop();
        emr?.close();
        await Promise.all([livy.close(), yarn.close()]);
        if (!options.connection) await connection.close();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
