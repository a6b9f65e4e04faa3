import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, parseJobSpec, type JobSpec } from '../../contract';
import { buildBatchRequest, type BatchRequestSettings } from '../../activities/livy/batchRequest';

/** The fields Livy's CreateBatchRequest knows (LIVY.md): it answers 400 to any other. */
const LIVY_FIELDS = new Set([
  'file', 'proxyUser', 'className', 'args', 'jars', 'pyFiles', 'files', 'archives', 'driverMemory',
  'driverCores', 'executorMemory', 'executorCores', 'numExecutors', 'queue', 'name', 'conf',
]);

const settings: BatchRequestSettings = { sizes: DEFAULT_SIZE_SETTINGS, sqlRunnerUri: 's3://platform/shale/sql_runner.py' };
const NAME = 'data-eng-daily-7f3a9c01b2-a2';

function spec(input: Record<string, unknown>): JobSpec {
  const result = parseJobSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

const common = { name: 'daily', team: 'data-eng' };

function expectOnlyLivyFields(request: object): void {
  for (const key of Object.keys(request)) expect(LIVY_FIELDS, `unexpected field ${key}`).toContain(key);
  // nothing undefined or null rides along (JSON would drop undefined, but Livy must never see null lists)
  for (const [key, value] of Object.entries(request)) expect(value, key).not.toBeUndefined();
  for (const [key, value] of Object.entries(request)) expect(value, key).not.toBeNull();
}

describe('buildBatchRequest', () => {
  it('pyspark: file, pyFiles and args; DEFAULT size; name, tags and app name from the attempt', () => {
    const request = buildBatchRequest(
      spec({ ...common, kind: 'pyspark', file: 's3://b/main.py', pyFiles: ['s3://b/lib.zip'], args: ['--day', '2024-01-01'] }),
      NAME,
      settings,
    );
    expect(request).toEqual({
      name: NAME,
      file: 's3://b/main.py',
      pyFiles: ['s3://b/lib.zip'],
      args: ['--day', '2024-01-01'],
      driverMemory: '4g',
      driverCores: 2,
      executorMemory: '8g',
      executorCores: 4,
      conf: {
        'spark.dynamicAllocation.enabled': 'true',
        'spark.dynamicAllocation.minExecutors': '2',
        'spark.dynamicAllocation.maxExecutors': '50',
        'spark.yarn.tags': `${NAME},shale`,
        'spark.app.name': NAME,
      },
    });
    expectOnlyLivyFields(request);
  });

  it('jar: file, className, jars and args', () => {
    const request = buildBatchRequest(
      spec({ ...common, kind: 'jar', file: 's3://b/etl.jar', className: 'com.acme.Main', jars: ['s3://b/dep.jar'], args: ['x'] }),
      NAME,
      settings,
    );
    expect(request).toMatchObject({ file: 's3://b/etl.jar', className: 'com.acme.Main', jars: ['s3://b/dep.jar'], args: ['x'] });
    expect(request).not.toHaveProperty('pyFiles');
    expectOnlyLivyFields(request);
  });

  it('sql: runs the SQL runner with the statement as its only argument', () => {
    const text = "SELECT count(*) FROM events WHERE day = '2024-01-01'; -- with 'quotes' and\nnewlines";
    const request = buildBatchRequest(spec({ ...common, kind: 'sql', sql: text }), NAME, settings);
    expect(request.file).toBe(settings.sqlRunnerUri);
    expect(request.args).toEqual([text]);
    expect(request).not.toHaveProperty('className');
    expect(request).not.toHaveProperty('pyFiles');
    expect(request).not.toHaveProperty('jars');
    expectOnlyLivyFields(request);
  });

  it('leaves out empty lists and unset optional fields', () => {
    for (const s of [
      spec({ ...common, kind: 'pyspark', file: 's3://b/main.py' }),
      spec({ ...common, kind: 'jar', file: 's3://b/etl.jar', className: 'a.B' }),
    ]) {
      const request = buildBatchRequest(s, NAME, settings);
      for (const key of ['args', 'jars', 'pyFiles', 'files', 'archives', 'queue', 'proxyUser', 'numExecutors']) {
        expect(request, key).not.toHaveProperty(key);
      }
    }
  });

  it('passes files, archives, queue and proxyUser through', () => {
    const request = buildBatchRequest(
      spec({
        ...common,
        kind: 'pyspark',
        file: 's3://b/main.py',
        files: ['s3://b/lookup.csv'],
        archives: ['s3://b/env.tar.gz#env'],
        queue: 'etl',
        proxyUser: 'svc_etl',
      }),
      NAME,
      settings,
    );
    expect(request).toMatchObject({ files: ['s3://b/lookup.csv'], archives: ['s3://b/env.tar.gz#env'], queue: 'etl', proxyUser: 'svc_etl' });
  });

  it.each(['SMALL', 'DEFAULT', 'LARGE', 'EXTRA_LARGE'] as const)('size %s sets memory, cores and dynamic allocation bounds', (size) => {
    const preset = DEFAULT_SIZE_SETTINGS[size];
    const request = buildBatchRequest(spec({ ...common, kind: 'pyspark', file: 's3://b/main.py', size }), NAME, settings);
    expect(request).toMatchObject({
      driverMemory: preset.driverMemory,
      driverCores: preset.driverCores,
      executorMemory: preset.executorMemory,
      executorCores: preset.executorCores,
    });
    expect(request.conf).toMatchObject({
      'spark.dynamicAllocation.minExecutors': String(preset.minExecutors),
      'spark.dynamicAllocation.maxExecutors': String(preset.maxExecutors),
    });
  });

  it('uses the sizes from the settings (a platform may configure its own)', () => {
    const custom: BatchRequestSettings = {
      ...settings,
      sizes: { ...DEFAULT_SIZE_SETTINGS, SMALL: { driverMemory: '1g', driverCores: 1, executorMemory: '2g', executorCores: 1, minExecutors: 0, maxExecutors: 3 } },
    };
    const request = buildBatchRequest(spec({ ...common, kind: 'pyspark', file: 's3://b/main.py', size: 'SMALL' }), NAME, custom);
    expect(request).toMatchObject({ driverMemory: '1g', executorMemory: '2g' });
    expect(request.conf!['spark.dynamicAllocation.maxExecutors']).toBe('3');
  });

  it('keeps the user conf, which may override the preset’s dynamic allocation', () => {
    const request = buildBatchRequest(
      spec({
        ...common,
        kind: 'pyspark',
        file: 's3://b/main.py',
        conf: { 'spark.sql.shuffle.partitions': '400', 'spark.dynamicAllocation.maxExecutors': '7', 'spark.executor.memoryOverhead': '1g' },
      }),
      NAME,
      settings,
    );
    expect(request.conf).toMatchObject({
      'spark.sql.shuffle.partitions': '400',
      'spark.dynamicAllocation.maxExecutors': '7',
      'spark.executor.memoryOverhead': '1g',
      'spark.dynamicAllocation.enabled': 'true',
    });
  });

  it('always names the batch, its YARN tags and the Spark app after the attempt, whatever the conf says', () => {
    // a spec cannot carry these keys (parseJobSpec refuses them); even a hand-built one cannot win
    const handBuilt = {
      ...spec({ ...common, kind: 'pyspark', file: 's3://b/main.py' }),
      conf: { 'spark.yarn.tags': 'evil', 'spark.app.name': 'evil' },
    } as JobSpec;
    const request = buildBatchRequest(handBuilt, NAME, settings);
    expect(request.name).toBe(NAME);
    expect(request.conf!['spark.app.name']).toBe(NAME);
    expect(request.conf!['spark.yarn.tags']!.split(',')).toEqual([NAME, 'shale']);
  });

  it('does not share or mutate the spec’s lists and conf', () => {
    const s = spec({ ...common, kind: 'pyspark', file: 's3://b/main.py', conf: { 'spark.a': '1' } });
    const before = structuredClone(s);
    const request = buildBatchRequest(s, NAME, settings);
    request.conf!['spark.b'] = '2';
    expect(s).toEqual(before);
  });

  it('produces a body the Livy simulator accepts field by field', async () => {
    const { parseCreateBatchRequest } = await import('../../dev/livy-sim/createRequest');
    for (const s of [
      spec({ ...common, kind: 'pyspark', file: 's3://b/main.py', pyFiles: ['s3://b/l.zip'], files: ['s3://b/f'], queue: 'q', proxyUser: 'u' }),
      spec({ ...common, kind: 'jar', file: 's3://b/etl.jar', className: 'a.B', jars: ['s3://b/d.jar'], archives: ['s3://b/a.zip'] }),
      spec({ ...common, kind: 'sql', sql: 'SELECT 1' }),
    ]) {
      const request = buildBatchRequest(s, NAME, settings);
      const parsed = parseCreateBatchRequest(JSON.stringify(request));
      expect(parsed.name).toBe(NAME);
      expect(parsed.file).toBe(request.file);
      expect(parsed.conf).toEqual(request.conf);
    }
  });
});
