/**
 * Worker configuration: a YAML (or JSON) file plus environment overrides, validated with
 * field-level errors. Secrets come only from the environment and are never echoed back.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_SIZE_SETTINGS, SIZE_PRESETS, type FieldError } from '../contract';
import { credentialIn } from '../contract/credentials';
import { teamPolicySchema } from '../activities/policy/teamPolicy';
import { parseUrlPattern } from '../activities/clusters/urlAllowlist';
import { ConnectionConfigError, connectionOptions, loadTemporalConnection, type TemporalConnectionOverrides } from '../client/connectionConfig';

const sizeSettings = z
  .strictObject({
    driverMemory: z.string().regex(/^\d+[gm]$/),
    driverCores: z.number().int().positive(),
    executorMemory: z.string().regex(/^\d+[gm]$/),
    executorCores: z.number().int().positive(),
    minExecutors: z.number().int().min(0),
    maxExecutors: z.number().int().positive(),
  })
  // Spark refuses to start with min > max: every job of the preset would fail.
  .refine((s) => s.minExecutors <= s.maxExecutors, { path: ['minExecutors'], message: 'must not exceed maxExecutors' });

/** An http(s) endpoint URL; it is recorded on attempts and logs, so credentials go in livy.authHeaderFromEnv. */
const endpointUrl = z
  .url({ protocol: /^https?$/ })
  .refine((u) => credentialIn(u) === undefined, { message: 'must not carry credentials (user:password@, tokens); use livy.authHeaderFromEnv' });

const cluster = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
  livyUrl: endpointUrl,
  /** YARN ResourceManager REST (e.g. http://rm.internal:8088), where batches Livy has forgotten are looked up by tag. */
  resourceManagerUrl: endpointUrl.optional(),
  sparkVersion: z.enum(['2', '3']).optional(),
  pool: z.string().min(1).optional(),
  tags: z.record(z.string(), z.string()).default({}),
});

export const workerConfigSchema = z.strictObject({
  temporal: z
    .strictObject({
      /** Unset: from Temporal's environment variables and profile (client/connectionConfig.ts), else 127.0.0.1:7233. */
      address: z.string().min(1).optional(),
      /** Unset: TEMPORAL_NAMESPACE or the profile's, else default. */
      namespace: z.string().min(1).optional(),
      taskQueue: z.string().min(1).default('shale'),
      /** TLS to Temporal: true for system CAs, or files for a private CA and mTLS client certificates. */
      tls: z
        .union([
          z.boolean(),
          z.strictObject({
            serverRootCaFile: z.string().optional(),
            clientCertFile: z.string().optional(),
            clientKeyFile: z.string().optional(),
            serverNameOverride: z.string().optional(),
          }),
        ])
        .optional(),
      /** Name of the environment variable holding a Temporal Cloud API key (implies TLS). */
      apiKeyFromEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
    })
    .default({ taskQueue: 'shale' }),
  clusters: z.array(cluster).default([]),
  livy: z
    .strictObject({
      requestTimeoutMs: z.number().int().positive().default(15_000),
      /** How fresh the batch states the workflow sees are: one list request per endpoint per interval. */
      pollIntervalMs: z.number().int().positive().default(10_000),
      /**
       * How long a Livy may go unanswered before a job gives up on it and fails over to another cluster
       * (its batch handed to a sweeper that kills it once the Livy answers again). Unset: jobs wait for
       * an unreachable Livy, bounded by their own timeouts; EMR saying the cluster terminated always fails over.
       */
      failoverAfterUnreachableSeconds: z.number().positive().optional(),
      /** Name of the environment variable holding the Authorization header's value. */
      authHeaderFromEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
      caFile: z.string().optional(),
    })
    .default({ requestTimeoutMs: 15_000, pollIntervalMs: 10_000 }),
  /** EMR discovery beside the static clusters; credentials and region from the AWS SDK's default chain. */
  emr: z
    .strictObject({
      enabled: z.boolean().default(false),
      region: z.string().optional(),
      /** API endpoint override (e.g. a moto server in tests). */
      endpoint: z.url().optional(),
      cacheTtlMs: z.number().int().positive().default(15_000),
      /** How often a running job checks that its cluster is still alive. */
      stateCheckIntervalMs: z.number().int().positive().default(15_000),
      /** Only clusters carrying all these tags are Shale's. */
      requiredTags: z.record(z.string(), z.string()).default({}),
      /**
       * URL patterns (activities/clusters/urlAllowlist.ts) the `shale:livy-url` and `shale:rm-url` tags
       * must match to be taken, e.g. https://*.livy.acme.internal:8443 or http://127.0.0.1:*. Empty: no
       * tag URL is taken (a cluster with a refused Livy tag is ignored, with a log line).
       */
      tagUrlAllowlist: z
        .array(
          z.string().superRefine((pattern, ctx) => {
            const parsed = parseUrlPattern(pattern);
            if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
          }),
        )
        .default([]),
    })
    .default({ enabled: false, cacheTtlMs: 15_000, stateCheckIntervalMs: 15_000, requiredTags: {}, tagUrlAllowlist: [] }),
  metrics: z
    .strictObject({
      /** Where the Prometheus endpoint listens (/metrics), e.g. 0.0.0.0:9464; unset: no endpoint. */
      prometheusBindAddress: z.string().regex(/^[^:\s]+:\d+$/, 'host:port').optional(),
    })
    .default({}),
  /** Per-cluster storm protection. */
  clusterHealth: z
    .strictObject({
      /** Consecutive infra failures that open a cluster's circuit breaker. */
      breakerFailureThreshold: z.number().int().positive().default(3),
      breakerCoolDownSeconds: z.number().positive().default(60),
      submissionsPerSecond: z.number().positive().default(5),
      submissionBurst: z.number().int().positive().default(10),
    })
    .default({ breakerFailureThreshold: 3, breakerCoolDownSeconds: 60, submissionsPerSecond: 5, submissionBurst: 10 }),
  /**
   * Per-team policy (activities/policy/teamPolicy.ts): size cap and overrides, allowed conf prefixes
   * and proxy users. '*' applies to teams not listed; a team with neither gets the defaults.
   */
  teams: z.record(z.string().regex(/^(\*|[a-z][a-z0-9-]{1,39})$/, "a team name or '*'"), teamPolicySchema).default({}),
  /** The HTTP API's section (`shale api`), checked by api/config.ts: the worker and the API share one file. */
  api: z.unknown().optional(),
  sqlRunnerUri: z.string().min(1).default('s3://shale-artifacts/shale/sql_runner.py'),
  sizes: z.partialRecord(z.enum(SIZE_PRESETS), sizeSettings).default({}),
  worker: z
    .strictObject({
      /**
       * Activity slots. Every running job holds one (its wait for the next state change: a promise,
       * not a thread), so this bounds the jobs one worker tracks; see the README's "Sizing a worker".
       */
      maxConcurrentActivities: z.number().int().positive().default(10_000),
      /** Workflows kept in memory; an evicted job is replayed from its (short) history on its next change. */
      maxCachedWorkflows: z.number().int().positive().default(500),
      /** Workflow tasks processed at once (the SDK's maxConcurrentWorkflowTaskExecutions). */
      maxConcurrentWorkflowTasks: z.number().int().positive().default(100),
      /** Long polls for workflow and activity tasks held open against Temporal. */
      workflowTaskPollers: z.number().int().min(2).default(10),
      activityTaskPollers: z.number().int().positive().default(10),
      heartbeatIntervalMs: z.number().int().positive().default(10_000),
      shutdownGraceSeconds: z.number().positive().default(30),
      logLevel: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    })
    .default({
      maxConcurrentActivities: 10_000,
      maxCachedWorkflows: 500,
      maxConcurrentWorkflowTasks: 100,
      workflowTaskPollers: 10,
      activityTaskPollers: 10,
      heartbeatIntervalMs: 10_000,
      shutdownGraceSeconds: 30,
      logLevel: 'INFO',
    }),
});

/** The config as used: Temporal's address and namespace resolved (file and SHALE_* first, then TEMPORAL_* and profiles). */
export type WorkerConfig = Omit<z.output<typeof workerConfigSchema>, 'temporal'> & {
  temporal: z.output<typeof workerConfigSchema>['temporal'] & { address: string; namespace: string };
};
export type WorkerConfigInput = z.input<typeof workerConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly errors: FieldError[],
  ) {
    super(`invalid worker config (${source}):\n${errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
  }
}

/** The section an override goes into; if the file holds a non-object there, leave it for zod to report. */
function section(c: Record<string, any>, key: string): Record<string, any> {
  c[key] ??= {};
  const value: unknown = c[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : {};
}

/** Environment overrides: the usual knobs of a container deployment. */
const ENV_OVERRIDES: Array<[string, (c: Record<string, any>, v: string) => void]> = [
  ['SHALE_TEMPORAL_ADDRESS', (c, v) => (section(c, 'temporal').address = v)],
  ['SHALE_TEMPORAL_NAMESPACE', (c, v) => (section(c, 'temporal').namespace = v)],
  ['SHALE_TASK_QUEUE', (c, v) => (section(c, 'temporal').taskQueue = v)],
  ['SHALE_LIVY_POLL_INTERVAL_MS', (c, v) => (section(c, 'livy').pollIntervalMs = Number(v))],
  ['SHALE_EMR_ENABLED', (c, v) => ((c.emr ??= {}).enabled = v === 'true' || v === '1')],
  ['SHALE_EMR_ENDPOINT', (c, v) => ((c.emr ??= {}).endpoint = v)],
  ['SHALE_SQL_RUNNER_URI', (c, v) => (c.sqlRunnerUri = v)],
  ['SHALE_METRICS_BIND_ADDRESS', (c, v) => ((c.metrics ??= {}).prometheusBindAddress = v)],
  ['SHALE_LOG_LEVEL', (c, v) => (section(c, 'worker').logLevel = v.toUpperCase())],
];

export function parseWorkerConfig(raw: unknown, env: NodeJS.ProcessEnv = {}, source = 'config'): WorkerConfig {
  // An empty file is an empty config; anything else that is not a mapping is a mistake, not defaults.
  if (raw !== null && raw !== undefined && typeof raw !== 'object') {
    throw new ConfigError(source, [{ field: '(config)', message: `must be a mapping of settings, not a ${typeof raw}` }]);
  }
  const merged: Record<string, any> = raw && typeof raw === 'object' ? structuredClone(raw as object) : {};
  for (const [name, apply] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') apply(merged, value);
  }
  const result = workerConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(config)', message: i.message })),
    );
  }
  const config = withTemporalResolved(result.data, env, source);
  const ids = config.clusters.map((c) => c.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ConfigError(source, [{ field: 'clusters', message: `cluster id ${dup} appears twice` }]);
  return config;
}

/**
 * Fills in Temporal's address and namespace the way every Shale process does (connectionConfig.ts):
 * what the file (or SHALE_TEMPORAL_*) says, else TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE and the
 * TEMPORAL_PROFILE of TEMPORAL_CONFIG_FILE, else 127.0.0.1:7233 / default.
 */
function withTemporalResolved(parsed: z.output<typeof workerConfigSchema>, env: NodeJS.ProcessEnv, source: string): WorkerConfig {
  try {
    const settings = loadTemporalConnection(temporalOverrides(parsed.temporal, env, source), env);
    return { ...parsed, temporal: { ...parsed.temporal, address: settings.address, namespace: settings.namespace } };
  } catch (err) {
    if (err instanceof ConnectionConfigError) throw new ConfigError(source, [{ field: 'temporal', message: err.message }]);
    throw err;
  }
}

function temporalOverrides(temporal: { address?: string; namespace?: string }, env: NodeJS.ProcessEnv, source: string): TemporalConnectionOverrides {
  return {
    address: temporal.address,
    namespace: temporal.namespace,
    origin: env.SHALE_TEMPORAL_ADDRESS ? 'SHALE_TEMPORAL_ADDRESS' : `temporal.address in ${source}`,
  };
}

export async function loadWorkerConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<WorkerConfig> {
  if (!path) return parseWorkerConfig({}, env, 'environment');
  const text = await readFile(path, 'utf8');
  return parseWorkerConfig(parseYaml(text), env, path);
}

export function sizeSettingsOf(config: WorkerConfig) {
  return { ...DEFAULT_SIZE_SETTINGS, ...config.sizes } as typeof DEFAULT_SIZE_SETTINGS;
}

/** The Livy auth header, read from the environment variable the config names (never from the file). */
export function livyAuthHeader(config: WorkerConfig, env: NodeJS.ProcessEnv): { name: string; value: string } | undefined {
  const name = config.livy.authHeaderFromEnv;
  if (!name) return undefined;
  const value = env[name];
  if (!value) throw new ConfigError('environment', [{ field: `livy.authHeaderFromEnv`, message: `environment variable ${name} is not set` }]);
  return { name: 'authorization', value };
}

/**
 * Connection options for Temporal (self-hosted TLS/mTLS, or Temporal Cloud with an API key): the
 * file's `temporal.tls` and `temporal.apiKeyFromEnv` where set, else the Temporal profile's and
 * TEMPORAL_TLS* / TEMPORAL_API_KEY (connectionConfig.ts), as the CLI and the client take them.
 */
export async function temporalConnectionOptions(config: WorkerConfig, env: NodeJS.ProcessEnv) {
  const { tls, apiKeyFromEnv } = config.temporal;
  let apiKey: string | undefined;
  if (apiKeyFromEnv) {
    apiKey = env[apiKeyFromEnv];
    if (!apiKey) throw new ConfigError('environment', [{ field: 'temporal.apiKeyFromEnv', message: `environment variable ${apiKeyFromEnv} is not set` }]);
  }
  const read = (path: string | undefined) => (path ? readFile(path) : Promise.resolve(undefined));
  let tlsOption: TemporalConnectionOverrides['tls'] = typeof tls === 'boolean' ? tls : undefined;
  if (tls && typeof tls === 'object') {
    const [ca, crt, key] = await Promise.all([read(tls.serverRootCaFile), read(tls.clientCertFile), read(tls.clientKeyFile)]);
    if (!!crt !== !!key) throw new ConfigError('config', [{ field: 'temporal.tls', message: 'clientCertFile and clientKeyFile go together' }]);
    tlsOption = {
      ...(tls.serverNameOverride ? { serverNameOverride: tls.serverNameOverride } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  try {
    const settings = loadTemporalConnection({ address: config.temporal.address, namespace: config.temporal.namespace, tls: tlsOption, apiKey }, env);
    return connectionOptions(settings);
  } catch (err) {
    if (err instanceof ConnectionConfigError) throw new ConfigError('environment', [{ field: 'temporal', message: err.message }]);
    throw err;
  }
}
