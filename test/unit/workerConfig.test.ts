import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, type FieldError } from '../../contract';
import { ConfigError, livyAuthHeader, loadWorkerConfig, parseWorkerConfig, sizeSettingsOf } from '../../worker/config';

const SECRET = 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.sig';

/** The ConfigError parseWorkerConfig throws (fails the test if it does not). */
function configError(raw: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseWorkerConfig(raw, env, 'shale.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const fieldsOf = (err: ConfigError) => err.errors.map((e: FieldError) => e.field);

const cluster = { id: 'emr-prod', livyUrl: 'http://10.0.0.1:8998' };

describe('parseWorkerConfig', () => {
  it('fills defaults for an empty config', () => {
    for (const raw of [{}, null, undefined]) {
      const config = parseWorkerConfig(raw);
      expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'shale' });
      expect(config.clusters).toEqual([]);
      expect(config.livy).toMatchObject({ requestTimeoutMs: 15_000, pollIntervalMs: 10_000 });
      expect(config.livy.authHeaderFromEnv).toBeUndefined();
      expect(config.sqlRunnerUri).toBe('s3://shale-artifacts/shale/sql_runner.py');
      expect(config.sizes).toEqual({});
      expect(config.worker).toMatchObject({
        maxConcurrentActivities: 10_000,
        maxCachedWorkflows: 500,
        maxConcurrentWorkflowTasks: 100,
        workflowTaskPollers: 10,
        activityTaskPollers: 10,
        heartbeatIntervalMs: 10_000,
        shutdownGraceSeconds: 30,
      });
    }
  });

  it('reads a full config and fills the defaults of partial sections', () => {
    const config = parseWorkerConfig({
      temporal: { address: 'temporal:7233' },
      clusters: [
        { ...cluster, sparkVersion: '3', pool: 'batch', tags: { env: 'prod' } },
        { id: 'static.livy_2', livyUrl: 'https://livy.internal/gateway/livy/' },
      ],
      livy: { pollIntervalMs: 2_000, authHeaderFromEnv: 'SHALE_LIVY_AUTH' },
      sizes: { SMALL: { driverMemory: '1g', driverCores: 1, executorMemory: '2g', executorCores: 1, minExecutors: 0, maxExecutors: 4 } },
    });
    expect(config.temporal).toEqual({ address: 'temporal:7233', namespace: 'default', taskQueue: 'shale' });
    expect(config.clusters).toEqual([
      { ...cluster, sparkVersion: '3', pool: 'batch', tags: { env: 'prod' } },
      { id: 'static.livy_2', livyUrl: 'https://livy.internal/gateway/livy/', tags: {} },
    ]);
    expect(config.livy).toMatchObject({ requestTimeoutMs: 15_000, pollIntervalMs: 2_000, authHeaderFromEnv: 'SHALE_LIVY_AUTH' });
    // configured presets replace the defaults; the others stay
    const sizes = sizeSettingsOf(config);
    expect(sizes.SMALL.maxExecutors).toBe(4);
    expect(sizes.LARGE).toEqual(DEFAULT_SIZE_SETTINGS.LARGE);
  });

  it('does not mutate the raw config it was given', () => {
    const raw = { temporal: { address: 'a:1' }, clusters: [cluster] };
    const copy = structuredClone(raw);
    parseWorkerConfig(raw, { SHALE_TEMPORAL_ADDRESS: 'b:2' });
    expect(raw).toEqual(copy);
  });

  it('reports field-level errors with their paths, naming the source', () => {
    const err = configError({
      temporal: { address: '', port: 7233 },
      clusters: [{ id: 'bad id', livyUrl: 'ftp://x' }, { livyUrl: 'not a url' }],
      livy: { pollIntervalMs: 0, requestTimeoutMs: 1.5, authHeaderFromEnv: 'lower-case' },
      sizes: { HUGE: {}, SMALL: { driverMemory: '2 GB' } },
      worker: { maxConcurrentActivities: -1 },
      extra: true,
    });
    expect(err.source).toBe('shale.yaml');
    const fields = fieldsOf(err);
    for (const field of [
      'temporal.address',
      'temporal',
      'clusters.0.id',
      'clusters.0.livyUrl',
      'clusters.1.id',
      'clusters.1.livyUrl',
      'livy.pollIntervalMs',
      'livy.requestTimeoutMs',
      'livy.authHeaderFromEnv',
      'sizes.SMALL.driverMemory',
      'worker.maxConcurrentActivities',
      '(config)',
    ]) {
      expect(fields, field).toContain(field);
    }
    expect(fields.some((f) => f.startsWith('sizes'))).toBe(true);
    expect(err.errors.find((e) => e.field === 'temporal')!.message).toMatch(/port/);
    expect(err.errors.find((e) => e.field === '(config)')!.message).toMatch(/extra/);
    expect(err.message).toMatch(/^invalid worker config \(shale\.yaml\):\n {2}/);
    expect(err.message).toContain('  clusters.0.id: ');
  });

  it('refuses a config that is not a mapping', () => {
    expect(fieldsOf(configError('clusters: none'))).toEqual(['(config)']);
    expect(fieldsOf(configError(42))).toEqual(['(config)']);
    expect(fieldsOf(configError([cluster]))).toEqual(['(config)']);
  });

  it('refuses a preset whose minExecutors exceed its maxExecutors', () => {
    const err = configError({ sizes: { LARGE: { ...DEFAULT_SIZE_SETTINGS.LARGE, minExecutors: 300, maxExecutors: 200 } } });
    expect(err.errors).toEqual([{ field: 'sizes.LARGE.minExecutors', message: 'must not exceed maxExecutors' }]);
  });

  it('refuses duplicate cluster ids', () => {
    const err = configError({ clusters: [cluster, { id: 'other', livyUrl: 'http://h:8998' }, { ...cluster, livyUrl: 'http://elsewhere:8998' }] });
    expect(err.errors).toEqual([{ field: 'clusters', message: 'cluster id emr-prod appears twice' }]);
  });

  it('refuses a Livy URL carrying credentials, without echoing them', () => {
    const err = configError({ clusters: [{ id: 'c1', livyUrl: 'https://svc:hunter2@livy.internal:8998' }] });
    expect(err.errors).toEqual([{ field: 'clusters.0.livyUrl', message: expect.stringMatching(/must not carry credentials/) }]);
    expect(err.message).not.toContain('hunter2');
    // an @ after the host is not userinfo
    expect(parseWorkerConfig({ clusters: [{ id: 'c1', livyUrl: 'http://livy:8998/p?owner=a@b' }] }).clusters).toHaveLength(1);
  });

  it('refuses credentials in any form a URL parser reads, in every endpoint URL', () => {
    for (const livyUrl of ['http:/svc:hunter2@livy.internal:8998', 'https://livy.internal:8998/?token=hunter2']) {
      const err = configError({ clusters: [{ id: 'c1', livyUrl }] });
      expect(err.errors, livyUrl).toContainEqual({ field: 'clusters.0.livyUrl', message: expect.stringMatching(/must not carry credentials/) });
      expect(err.message).not.toContain('hunter2');
    }
    const err = configError({ clusters: [{ ...cluster, resourceManagerUrl: 'http://rm:hunter2@rm.internal:8088' }] });
    expect(fieldsOf(err)).toEqual(['clusters.0.resourceManagerUrl']);
  });

  it("takes a static cluster's ResourceManager URL from config", () => {
    const config = parseWorkerConfig({ clusters: [{ ...cluster, resourceManagerUrl: 'http://10.0.0.1:8088' }, { id: 'no-rm', livyUrl: 'http://h:8998' }] });
    expect(config.clusters[0]!.resourceManagerUrl).toBe('http://10.0.0.1:8088');
    expect(config.clusters[1]).not.toHaveProperty('resourceManagerUrl');
    expect(fieldsOf(configError({ clusters: [{ ...cluster, resourceManagerUrl: 'ftp://rm:21' }] }))).toEqual(['clusters.0.resourceManagerUrl']);
  });

  it('reads emr.tagUrlAllowlist (empty by default) and refuses a malformed pattern at its index', () => {
    expect(parseWorkerConfig({}).emr.tagUrlAllowlist).toEqual([]);
    expect(parseWorkerConfig({ emr: { enabled: true } }).emr.tagUrlAllowlist).toEqual([]);
    const patterns = ['https://*.livy.acme.internal:8443', 'http://127.0.0.1:*'];
    expect(parseWorkerConfig({ emr: { tagUrlAllowlist: patterns } }).emr.tagUrlAllowlist).toEqual(patterns);
    const err = configError({ emr: { tagUrlAllowlist: ['https://ok.internal', 'ftp://*.acme.internal', 'http://*:8998'] } });
    expect(fieldsOf(err)).toEqual(['emr.tagUrlAllowlist.1', 'emr.tagUrlAllowlist.2']);
    expect(err.errors[0]!.message).toMatch(/scheme http or https/);
  });

  it('reads team policies with their defaults, and refuses unknown or malformed settings', () => {
    const config = parseWorkerConfig({
      teams: {
        analytics: { maxSize: 'LARGE', allowSizeOverrides: true, allowedConfPrefixes: ['spark.sql.'], allowedProxyUsers: ['svc_analytics'] },
        '*': { maxSize: 'DEFAULT' },
      },
    });
    expect(config.teams).toEqual({
      analytics: { maxSize: 'LARGE', allowSizeOverrides: true, allowedConfPrefixes: ['spark.sql.'], allowedProxyUsers: ['svc_analytics'] },
      '*': { maxSize: 'DEFAULT', allowSizeOverrides: false, allowedProxyUsers: [] },
    });
    const err = configError({ teams: { etl: { maxSize: 'HUGE', allowedConfPrefixes: ['spark sql'], allowedProxyUsers: 'hdfs', denyConf: [] } } });
    expect(fieldsOf(err).sort()).toEqual(['teams.etl', 'teams.etl.allowedConfPrefixes.0', 'teams.etl.allowedProxyUsers', 'teams.etl.maxSize']);
  });

  it('applies environment overrides over the file', () => {
    const config = parseWorkerConfig(
      { temporal: { address: 'file:7233', namespace: 'file-ns' }, livy: { pollIntervalMs: 5_000 } },
      {
        SHALE_TEMPORAL_ADDRESS: 'env:7233',
        SHALE_TASK_QUEUE: 'env-queue',
        SHALE_LIVY_POLL_INTERVAL_MS: '250',
        SHALE_SQL_RUNNER_URI: 's3://env/sql_runner.py',
      },
    );
    expect(config.temporal).toEqual({ address: 'env:7233', namespace: 'file-ns', taskQueue: 'env-queue' });
    expect(config.livy.pollIntervalMs).toBe(250);
    expect(config.sqlRunnerUri).toBe('s3://env/sql_runner.py');
    // an override into a section the file left out still gets that section's defaults
    expect(parseWorkerConfig({}, { SHALE_LIVY_POLL_INTERVAL_MS: '250' }).livy).toMatchObject({ pollIntervalMs: 250, requestTimeoutMs: 15_000 });
    expect(parseWorkerConfig({}, { SHALE_TEMPORAL_NAMESPACE: 'prod' }).temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'prod', taskQueue: 'shale' });
  });

  it('ignores empty environment overrides', () => {
    expect(parseWorkerConfig({ temporal: { address: 'file:7233' } }, { SHALE_TEMPORAL_ADDRESS: '' }).temporal.address).toBe('file:7233');
  });

  it('validates environment overrides like the file', () => {
    expect(configError({}, { SHALE_LIVY_POLL_INTERVAL_MS: 'soon' }).errors.map((e) => e.field)).toEqual(['livy.pollIntervalMs']);
    expect(configError({}, { SHALE_LIVY_POLL_INTERVAL_MS: '-5' }).errors.map((e) => e.field)).toEqual(['livy.pollIntervalMs']);
  });

  it('reports a mistyped section as a field error even when an override targets it', () => {
    const err = configError({ temporal: 'localhost:7233' }, { SHALE_TEMPORAL_ADDRESS: 'env:7233' });
    expect(fieldsOf(err)).toEqual(['temporal']);
    expect(fieldsOf(configError({ livy: [1] }, { SHALE_LIVY_POLL_INTERVAL_MS: '5' }))).toEqual(['livy']);
  });

  it('loadWorkerConfig reads YAML, applies the environment, and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-config-'));
    try {
      const good = join(dir, 'shale.yaml');
      await writeFile(good, 'temporal:\n  namespace: yaml-ns\nclusters:\n  - id: c1\n    livyUrl: http://h:8998\n');
      const config = await loadWorkerConfig(good, { SHALE_TASK_QUEUE: 'q' });
      expect(config.temporal).toMatchObject({ namespace: 'yaml-ns', taskQueue: 'q' });
      expect(config.clusters.map((c) => c.id)).toEqual(['c1']);

      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'livy:\n  pollIntervalMs: fast\n');
      await expect(loadWorkerConfig(bad, {})).rejects.toMatchObject({ name: 'ConfigError', source: bad, errors: [{ field: 'livy.pollIntervalMs' }] });

      // no file: the environment alone
      expect((await loadWorkerConfig(undefined, { SHALE_TEMPORAL_ADDRESS: 'env:1' })).temporal.address).toBe('env:1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('livyAuthHeader', () => {
  const withAuth = parseWorkerConfig({ livy: { authHeaderFromEnv: 'SHALE_LIVY_AUTH' } });

  it('is undefined when the config names no variable', () => {
    expect(livyAuthHeader(parseWorkerConfig({}), { SHALE_LIVY_AUTH: SECRET })).toBeUndefined();
  });

  it('reads the value from the variable the config names, as Authorization', () => {
    expect(livyAuthHeader(withAuth, { SHALE_LIVY_AUTH: SECRET })).toEqual({ name: 'authorization', value: SECRET });
  });

  it('fails with a field-level error naming the variable, never a secret value', () => {
    for (const env of [{}, { SHALE_LIVY_AUTH: '' }, { SHALE_LIVY_AUTH_OLD: SECRET, OTHER_TOKEN: SECRET }]) {
      let err: unknown;
      try {
        livyAuthHeader(withAuth, env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const configErr = err as ConfigError;
      expect(configErr.errors).toEqual([{ field: 'livy.authHeaderFromEnv', message: 'environment variable SHALE_LIVY_AUTH is not set' }]);
      for (const text of [configErr.message, String(configErr.stack), JSON.stringify(configErr.errors)]) {
        expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
      }
    }
  });

  it('never echoes a secret pasted into the config by mistake', () => {
    const err = configError({ livy: { authHeaderFromEnv: SECRET } });
    expect(fieldsOf(err)).toEqual(['livy.authHeaderFromEnv']);
    expect(err.message).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    const unknown = configError({ livy: { authHeader: SECRET } });
    expect(unknown.message).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(unknown.message).toMatch(/authHeader/);
  });
});
