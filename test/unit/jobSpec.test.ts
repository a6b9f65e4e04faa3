import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DEFAULT_SIZE_SETTINGS,
  MAX_DURATION_SECONDS,
  MAX_SPEC_DEPTH,
  MAX_SPEC_BYTES,
  MAX_STRING_LENGTH,
  formatFieldErrors,
  jobSpecSchema,
  parseJobSpec,
  type FieldError,
  type JobSpec,
} from '../../contract';

const pyspark = { name: 'daily report', team: 'data-eng', kind: 'pyspark', file: 's3://bucket/jobs/report.py' };
const jar = { name: 'etl', team: 'data-eng', kind: 'jar', file: 's3://bucket/jobs/etl.jar', className: 'com.acme.etl.Main' };
const sql = { name: 'adhoc', team: 'analytics', kind: 'sql', sql: 'SELECT count(*) FROM events' };

function ok(input: unknown): JobSpec {
  const result = parseJobSpec(input);
  if (!result.ok) throw new Error(`expected a valid spec, got ${formatFieldErrors(result.errors)}`);
  return result.spec;
}

function errors(input: unknown): FieldError[] {
  const result = parseJobSpec(input);
  if (result.ok) throw new Error(`expected errors, got a valid spec: ${JSON.stringify(result.spec)}`);
  return result.errors;
}

/** The errors as `field: message`, for compact assertions. */
function fields(input: unknown): string[] {
  return errors(input).map((e) => e.field);
}

const COMMON_DEFAULTS = {
  files: [],
  archives: [],
  conf: {},
  size: 'DEFAULT',
  route: {},
  retry: { app: 1, infra: 3, initialBackoff: 30, maxBackoff: 600 },
  timeouts: { queue: 3600 },
  labels: {},
};

describe('parseJobSpec: valid specs and their normalized defaults', () => {
  it('pyspark: fills every default', () => {
    expect(ok(pyspark)).toEqual({ ...pyspark, ...COMMON_DEFAULTS, pyFiles: [], args: [] });
  });

  it('jar: fills every default', () => {
    expect(ok(jar)).toEqual({ ...jar, ...COMMON_DEFAULTS, jars: [], args: [] });
  });

  it('sql: fills every default and has no file', () => {
    const spec = ok(sql);
    expect(spec).toEqual({ ...sql, ...COMMON_DEFAULTS });
    expect(spec).not.toHaveProperty('file');
  });

  it('keeps every field a caller may set', () => {
    const full = {
      ...pyspark,
      pyFiles: ['s3://bucket/lib.zip'],
      args: ['--day', '2024-01-01', ''],
      files: ['hdfs:///data/lookup.csv', 'https://example.com/x.txt'],
      archives: ['s3a://bucket/env.tar.gz#env'],
      conf: { 'spark.sql.shuffle.partitions': '400', 'spark.executor.memoryOverhead': '2g' },
      queue: 'etl.high',
      proxyUser: 'svc_etl@ACME.COM',
      size: 'LARGE',
      route: { sparkVersion: '3', pool: 'batch', criteria: [{ env: 'prod' }, { env: 'shared' }] },
      retry: { app: 0, infra: 5, initialBackoff: '10s', maxBackoff: '5m' },
      timeouts: { queue: '15m', run: '6h' },
      labels: { 'airflow/dag_id': 'daily', task_id: 'report' },
      requestedBy: 'airflow@scheduler-1',
    };
    expect(ok(full)).toEqual({
      ...full,
      retry: { app: 0, infra: 5, initialBackoff: 10, maxBackoff: 300 },
      timeouts: { queue: 900, run: 21600 },
    });
  });

  it('fills retry defaults for the fields left out', () => {
    expect(ok({ ...pyspark, retry: { app: 2 } }).retry).toEqual({ app: 2, infra: 3, initialBackoff: 30, maxBackoff: 600 });
    expect(ok({ ...pyspark, timeouts: { run: 60 } }).timeouts).toEqual({ queue: 3600, run: 60 });
  });

  it('accepts every size preset', () => {
    for (const size of Object.keys(DEFAULT_SIZE_SETTINGS)) expect(ok({ ...pyspark, size }).size).toBe(size);
  });

  it('is idempotent: a normalized spec parses to itself (the workflow re-validates it)', () => {
    for (const input of [pyspark, jar, sql, { ...pyspark, timeouts: { queue: '2h', run: '1d' }, retry: { maxBackoff: '1h' } }]) {
      const once = ok(input);
      expect(ok(once)).toEqual(once);
      // and survives the JSON round trip of a Temporal payload
      expect(ok(JSON.parse(JSON.stringify(once)))).toEqual(once);
    }
  });

  it('does not mutate its input', () => {
    const input = structuredClone({ ...jar, retry: { initialBackoff: '1m' } });
    const copy = structuredClone(input);
    ok(input);
    expect(input).toEqual(copy);
  });
});

describe('parseJobSpec: durations in text and seconds', () => {
  const queue = (q: unknown) => ok({ ...pyspark, timeouts: { queue: q } }).timeouts.queue;

  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86400],
    ['1h30m', 5400],
    ['1d2h3m4s', 93784],
    [' 5m ', 300],
    ['120', 120],
    [45, 45],
    ['365d', MAX_DURATION_SECONDS],
  ])('%j is %i seconds', (input, seconds) => {
    expect(queue(input)).toBe(seconds);
  });

  it.each([['0s'], [0], [-5], [1.5], ['1.5h'], ['abc'], [''], ['1m1h'], ['5 m'], ['h'], ['-1m']])(
    'refuses %j with a field-level message',
    (input) => {
      expect(errors({ ...pyspark, timeouts: { queue: input } })).toEqual([
        { field: 'timeouts.queue', message: 'must be a positive duration such as 90s, 30m, 2h, 1d or a number of seconds' },
      ]);
    },
  );

  it('refuses durations no Temporal timer could hold', () => {
    for (const input of ['366d', MAX_DURATION_SECONDS + 1, 1e300, '99999999999999999999d']) {
      expect(errors({ ...pyspark, timeouts: { run: input } })).toEqual([{ field: 'timeouts.run', message: 'must be at most 365d' }]);
    }
  });

  it('refuses a duration of the wrong type', () => {
    expect(fields({ ...pyspark, retry: { initialBackoff: true } })).toEqual(['retry.initialBackoff']);
    expect(fields({ ...pyspark, timeouts: { queue: null } })).toEqual(['timeouts.queue']);
    expect(fields({ ...pyspark, timeouts: { queue: Number.NaN } })).toEqual(['timeouts.queue']);
    expect(fields({ ...pyspark, timeouts: { run: Infinity } })).toEqual(['timeouts.run']);
  });

  it('compares backoffs after normalizing: maxBackoff must be at least initialBackoff', () => {
    expect(ok({ ...pyspark, retry: { initialBackoff: '1m', maxBackoff: 60 } }).retry.maxBackoff).toBe(60);
    expect(errors({ ...pyspark, retry: { initialBackoff: '2h', maxBackoff: '1h' } })).toEqual([
      { field: 'retry.maxBackoff', message: 'maxBackoff must be at least initialBackoff' },
    ]);
  });
});

describe('parseJobSpec: field-level errors', () => {
  it('refuses non-object input', () => {
    for (const input of [null, undefined, 42, 'spec', true, [], [pyspark]]) {
      expect(errors(input)).toEqual([{ field: '(spec)', message: 'must be an object' }]);
    }
  });

  it('refuses a missing or unknown kind', () => {
    for (const kind of [undefined, 'scala', 'PYSPARK', 1]) {
      const errs = errors({ ...pyspark, kind });
      expect(errs).toHaveLength(1);
      expect(errs[0]!.field).toBe('kind');
      expect(errs[0]!.message).toMatch(/pyspark.*jar.*sql/);
    }
  });

  it('names every missing required field', () => {
    expect(fields({ kind: 'pyspark' }).sort()).toEqual(['file', 'name', 'team']);
    expect(fields({ kind: 'jar', name: 'x1', team: 'ab' }).sort()).toEqual(['className', 'file']);
    expect(fields({ kind: 'sql', name: 'x1', team: 'ab' })).toEqual(['sql']);
    expect(fields({ ...sql, sql: '' })).toEqual(['sql']);
  });

  it('refuses fields of another kind and unknown fields, naming them', () => {
    expect(errors({ ...sql, file: 's3://b/x.py' })).toEqual([{ field: '(spec)', message: 'unknown field(s): file' }]);
    expect(errors({ ...pyspark, className: 'a.B', jars: [] })).toEqual([{ field: '(spec)', message: 'unknown field(s): className, jars' }]);
    expect(errors({ ...pyspark, retries: 3 })).toEqual([{ field: '(spec)', message: 'unknown field(s): retries' }]);
    expect(errors({ ...pyspark, retry: { app: 1, infraRetries: 2 } })).toEqual([{ field: 'retry', message: 'unknown field(s): infraRetries' }]);
    expect(errors({ ...pyspark, route: { region: 'eu' } })).toEqual([{ field: 'route', message: 'unknown field(s): region' }]);
    expect(errors({ ...pyspark, timeouts: { total: '1h' } })).toEqual([{ field: 'timeouts', message: 'unknown field(s): total' }]);
  });

  it('refuses wrong types, each at its own path', () => {
    const errs = errors({ ...pyspark, name: 5, args: 'x', conf: [], size: 'HUGE', labels: { a: 1 }, pyFiles: [1], retry: { app: '1' } });
    expect(errs.map((e) => e.field).sort()).toEqual(['args', 'conf', 'labels.a', 'name', 'pyFiles.0', 'retry.app', 'size']);
    expect(errs.find((e) => e.field === 'name')!.message).toBe('must be a string, not a number');
    expect(errs.find((e) => e.field === 'args')!.message).toBe('must be a list, not a string');
    expect(errs.find((e) => e.field === 'retry.app')!.message).toBe('must be a number, not a string');
    expect(errs.find((e) => e.field === 'size')!.message).toMatch(/SMALL.*DEFAULT.*LARGE.*EXTRA_LARGE/);
  });

  it('says a missing field is required and what it takes, without echoing values', () => {
    const { name: _name, team: _team, ...rest } = pyspark;
    expect(errors(rest)).toEqual([
      { field: 'name', message: 'is required (a string)' },
      { field: 'team', message: 'is required (a string)' },
    ]);
    const { kind: _kind, ...noKind } = pyspark;
    expect(errors(noKind)).toEqual([{ field: 'kind', message: 'is required (one of pyspark, jar, sql)' }]);
    expect(errors({ ...pyspark, kind: 'scala' })).toEqual([{ field: 'kind', message: 'must be one of pyspark, jar, sql' }]);
    expect(errors({ ...pyspark, timeouts: { run: true } })).toEqual([
      { field: 'timeouts.run', message: 'must be a positive duration such as 90s, 30m, 2h, 1d or a number of seconds' },
    ]);
    expect(JSON.stringify(errors({ ...pyspark, conf: { 'spark.x': 123456789 } }))).not.toContain('123456789');
  });

  it('checks names, teams, class names, queues and proxy users', () => {
    expect(errors({ ...pyspark, name: '-starts-with-dash' })).toEqual([
      { field: 'name', message: '1-100 characters: letters, digits, space and . _ - :' },
    ]);
    expect(fields({ ...pyspark, name: 'semi;colon' })).toEqual(['name']);
    expect(fields({ ...pyspark, name: 'a'.repeat(101) })).toEqual(['name']);
    expect(ok({ ...pyspark, name: 'a'.repeat(100) }).name).toHaveLength(100);
    for (const team of ['Data', '1data', 'd', 'data_eng', 'a'.repeat(41)]) {
      expect(errors({ ...pyspark, team })).toEqual([{ field: 'team', message: '2-40 lowercase letters, digits or -, starting with a letter' }]);
    }
    for (const className of ['com.acme.', '1Main', 'com..Main', 'com.acme.Main;rm']) {
      expect(fields({ ...jar, className })).toEqual(['className']);
    }
    expect(fields({ ...pyspark, queue: 'root queue' })).toEqual(['queue']);
    expect(fields({ ...pyspark, proxyUser: 'svc etl' })).toEqual(['proxyUser']);
    expect(fields({ ...pyspark, requestedBy: '' })).toEqual(['requestedBy']);
  });

  it('checks retry budgets and routes', () => {
    expect(fields({ ...pyspark, retry: { app: 11 } })).toEqual(['retry.app']);
    expect(fields({ ...pyspark, retry: { infra: -1 } })).toEqual(['retry.infra']);
    expect(fields({ ...pyspark, retry: { infra: 1.5 } })).toEqual(['retry.infra']);
    expect(fields({ ...pyspark, route: { sparkVersion: '4' } })).toEqual(['route.sparkVersion']);
    expect(fields({ ...pyspark, route: { sparkVersion: 3 } })).toEqual(['route.sparkVersion']);
    expect(fields({ ...pyspark, route: { criteria: [] } })).toEqual(['route.criteria']);
    expect(fields({ ...pyspark, route: { criteria: [{ env: 5 }] } })).toEqual(['route.criteria.0.env']);
    expect(fields({ ...pyspark, route: { pool: '' } })).toEqual(['route.pool']);
  });

  it('checks URIs: scheme list and shape', () => {
    for (const file of ['report.py', '/abs/report.py', 'ftp://host/x.py', 's3:bucket/x', 'S3://bucket/x.py', 's3://bucket/has space.py']) {
      const errs = errors({ ...pyspark, file });
      expect(errs).toHaveLength(1);
      expect(errs[0]!.field).toBe('file');
      expect(errs[0]!.message).toMatch(/^must be a URI with one of the schemes s3, /);
    }
    expect(fields({ ...pyspark, files: ['s3://b/ok', 'nope'] })).toEqual(['files.1']);
    expect(fields({ ...jar, jars: ['gs://b/ok.jar', 'x.jar'] })).toEqual(['jars.1']);
    expect(fields({ ...pyspark, archives: ['local:'] })).toEqual(['archives.0']);
  });

  it('formats errors as "field: message; ..."', () => {
    expect(formatFieldErrors([{ field: 'a', message: 'x' }, { field: 'b.c', message: 'y' }])).toBe('a: x; b.c: y');
  });
});

describe('parseJobSpec: hostile input', () => {
  it('refuses __proto__ keys at the top, in nested objects and in records, never polluting prototypes', () => {
    const top = JSON.parse(`{"__proto__": {"polluted": "yes"}, ${JSON.stringify(pyspark).slice(1)}`);
    expect(errors(top)).toEqual([{ field: '__proto__', message: "'__proto__' is a reserved name and cannot be a key" }]);

    // zod alone would silently drop these from records: the caller must hear about it
    const inConf = JSON.parse(`{${JSON.stringify(pyspark).slice(1, -1)}, "conf": {"spark.a": "1", "__proto__": {"polluted": "yes"}}}`);
    expect(errors(inConf)).toEqual([{ field: 'conf.__proto__', message: "'__proto__' is a reserved name and cannot be a key" }]);
    const inLabels = JSON.parse(`{${JSON.stringify(pyspark).slice(1, -1)}, "labels": {"__proto__": "x"}}`);
    expect(fields(inLabels)).toEqual(['labels.__proto__']);
    const inCriteria = JSON.parse(`{${JSON.stringify(pyspark).slice(1, -1)}, "route": {"criteria": [{"env": "a"}, {"__proto__": "x"}]}}`);
    expect(fields(inCriteria)).toEqual(['route.criteria.1.__proto__']);
    const inRetry = JSON.parse(`{${JSON.stringify(pyspark).slice(1, -1)}, "retry": {"__proto__": {"app": 9}}}`);
    expect(fields(inRetry)).toEqual(['retry.__proto__']);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses constructor and prototype keys', () => {
    expect(fields({ ...pyspark, constructor: { name: 'x' } })).toEqual(['constructor']);
    expect(fields({ ...pyspark, conf: { constructor: 'x' } })).toEqual(['conf.constructor']);
    expect(fields({ ...pyspark, labels: { prototype: 'x' } })).toEqual(['labels.prototype']);
  });

  it('keeps ordinary keys that merely shadow Object.prototype methods as plain data', () => {
    const spec = ok({ ...pyspark, conf: { toString: 'x', hasOwnProperty: 'y' } });
    expect(spec.conf).toEqual({ toString: 'x', hasOwnProperty: 'y' });
    expect(Object.getPrototypeOf(spec.conf)).toBe(Object.prototype);
  });

  it('refuses objects that are not JSON data instead of throwing, at their field', () => {
    const cyclic: Record<string, unknown> = { ...pyspark };
    cyclic.labels = { self: cyclic };
    expect(fields(cyclic)).toEqual(['labels.self']);
    expect(fields({ ...pyspark, args: [10n] })).toEqual(['args.0']);
  });

  it('refuses huge strings and arrays with a bounded error list', () => {
    expect(errors({ ...pyspark, args: Array.from({ length: 1001 }, () => 'a') })).toEqual([
      { field: 'args', message: expect.stringMatching(/1000/) },
    ]);
    expect(fields({ ...pyspark, args: ['a'.repeat(16_385)] })).toEqual(['args.0']);
    expect(fields({ ...pyspark, files: Array.from({ length: 201 }, (_, i) => `s3://b/${i}`) })).toEqual(['files']);
    expect(fields({ ...pyspark, file: `s3://b/${'a'.repeat(2048)}` })).toEqual(['file']);
    expect(fields({ ...sql, sql: 'x'.repeat(100_001) })).toEqual(['sql']);
    expect(fields({ ...pyspark, labels: { a: 'v'.repeat(257) } })).toEqual(['labels.a']);
    expect(fields({ ...pyspark, conf: { 'spark.x': 'v'.repeat(8193) } })).toEqual(['conf.spark.x']);

    const manyConf = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`spark.k${i}`, '1']));
    expect(errors({ ...pyspark, conf: manyConf })).toEqual([{ field: 'conf', message: 'at most 500 conf entries' }]);
    const manyLabels = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, '1']));
    expect(errors({ ...pyspark, labels: manyLabels })).toEqual([{ field: 'labels', message: 'at most 32 labels' }]);
    expect(fields({ ...pyspark, route: { criteria: Array.from({ length: 11 }, () => ({ a: 'b' })) } })).toEqual(['route.criteria']);
  });

  it(`refuses a spec over MAX_SPEC_BYTES (${MAX_SPEC_BYTES}) before validating anything else`, () => {
    const args = Array.from({ length: 20 }, () => 'a'.repeat(16_000));
    const errs = errors({ ...pyspark, args, team: 'NOT A TEAM' });
    expect(errs).toEqual([{ field: '(spec)', message: expect.stringMatching(new RegExp(`^is \\d+ bytes; at most ${MAX_SPEC_BYTES} allowed$`)) }]);
  });

  it(`names one oversized value as its field, even where the schema sets no cap (over ${MAX_STRING_LENGTH} characters)`, () => {
    // Found by the chaos suite: each of these was reported only as the whole spec's size.
    const big = (n: number) => 'x'.repeat(n);
    expect(fields({ ...pyspark, conf: { 'spark.app.note': big(300_000) } })).toEqual(['conf.spark.app.note']);
    expect(fields({ ...pyspark, route: { sparkVersion: big(300_000) } })).toEqual(['route.sparkVersion']);
    expect(fields({ ...pyspark, timeouts: { queue: big(300_000) } })).toEqual(['timeouts.queue']);
  });

  it('measures MAX_SPEC_BYTES in UTF-8 bytes, not characters', () => {
    // 90,000 three-byte characters: 270 kB of payload in fewer than MAX_SPEC_BYTES characters
    const query = `SELECT '${'€'.repeat(90_000)}'`;
    expect(JSON.stringify({ ...sql, sql: query }).length).toBeLessThan(MAX_SPEC_BYTES);
    const errs = errors({ ...sql, sql: query });
    expect(errs).toHaveLength(1);
    expect(errs[0]!.field).toBe('(spec)');
    const reported = Number(/^is (\d+) bytes/.exec(errs[0]!.message)![1]);
    expect(reported).toBe(Buffer.byteLength(JSON.stringify({ ...sql, sql: query }), 'utf8'));
    // surrogate pairs count as 4 bytes
    // (72,000 of them: 288,000 bytes, 216,000 if each counted 3)
    const emoji = Array.from({ length: 9 }, () => '😀'.repeat(8_000));
    expect(fields({ ...pyspark, args: emoji })).toEqual(['(spec)']);
    // just under the limit in bytes is fine
    expect(ok({ ...sql, sql: `SELECT '${'€'.repeat(80_000)}'` }).kind).toBe('sql');
  });
});

describe('parseJobSpec: credentials and reserved conf', () => {
  it('refuses URIs carrying user:password@ (or a user alone) in every URI field', () => {
    const message = 'carries a credential (user:password@ in a URL); credentials live in worker config, never in a job spec';
    expect(errors({ ...pyspark, file: 's3://AKIA:secret@bucket/x.py' })).toEqual([{ field: 'file', message }]);
    expect(errors({ ...pyspark, file: 'https://user:pass@host/x.py' })).toEqual([{ field: 'file', message }]);
    expect(errors({ ...pyspark, file: 'https://token@host/x.py' })).toEqual([{ field: 'file', message }]);
    expect(errors({ ...pyspark, pyFiles: ['s3://b/ok.zip', 'hdfs://u:p@nn/lib.zip'] })).toEqual([{ field: 'pyFiles.1', message }]);
    expect(errors({ ...jar, jars: ['https://u:p@repo/x.jar'] })).toEqual([{ field: 'jars.0', message }]);
    expect(errors({ ...pyspark, files: ['s3://u:p@b/f'] })).toEqual([{ field: 'files.0', message }]);
    expect(errors({ ...pyspark, archives: ['s3://u:p@b/a.zip'] })).toEqual([{ field: 'archives.0', message }]);
    // an @ in the path is not a credential, nor is an Azure container@account
    expect(ok({ ...pyspark, file: 's3://bucket/team@2024/x.py' })).toMatchObject({ file: 's3://bucket/team@2024/x.py' });
    expect(ok({ ...pyspark, file: 'abfss://jobs@acct.dfs.core.windows.net/x.py' })).toMatchObject({ file: 'abfss://jobs@acct.dfs.core.windows.net/x.py' });
    expect(errors({ ...pyspark, file: 'abfss://jobs:KEY@acct.dfs.core.windows.net/x.py' })).toEqual([{ field: 'file', message }]);
  });

  it('refuses conf keys that look like credentials, naming each', () => {
    const message = 'looks like a credential; credentials live in worker config, never in a job spec';
    const keys = [
      'spark.hadoop.fs.s3a.secret.key',
      'spark.hadoop.fs.s3a.access.key',
      'spark.hadoop.fs.s3a.session.token',
      'spark.ssl.keyPassword',
      'spark.authenticate.secret',
      'spark.hadoop.fs.azure.account.key.credential',
      'spark.hadoop.google.cloud.auth.service.account.private_key',
      'spark.jdbc.PASSWD',
    ];
    const conf = Object.fromEntries(keys.map((k) => [k, 'x']));
    expect(errors({ ...pyspark, conf })).toEqual(keys.map((k) => ({ field: `conf.${k}`, message })));
  });

  it('refuses the conf keys Shale sets itself', () => {
    const message = 'is set by Shale (attempt name and YARN tag); remove it';
    expect(errors({ ...pyspark, conf: { 'spark.yarn.tags': 'mine', 'spark.app.name': 'mine' } })).toEqual([
      { field: 'conf.spark.yarn.tags', message },
      { field: 'conf.spark.app.name', message },
    ]);
  });

  it('refuses malformed conf keys', () => {
    expect(fields({ ...pyspark, conf: { 'spark x': '1' } })).toEqual(['conf.spark x']);
    expect(fields({ ...pyspark, conf: { '': '1' } })).toEqual(['conf.']);
    expect(fields({ ...pyspark, conf: { 'spark.x': 1 } })).toEqual(['conf.spark.x']);
  });
});

describe('parseJobSpec: odd input stays field-level (issue 9, item 6)', () => {
  /** `{ a: { a: … } }`, `levels` objects deep, built without recursion. */
  function nested(levels: number): Record<string, unknown> {
    let value: Record<string, unknown> = {};
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  }

  it(`reports a spec nested thousands of levels deep at the field where it passes MAX_SPEC_DEPTH (${MAX_SPEC_DEPTH})`, () => {
    const deepPath = (root: string) => [root, ...Array.from({ length: MAX_SPEC_DEPTH - 1 }, () => 'a')].join('.');
    const message = `holds values nested more than ${MAX_SPEC_DEPTH} levels deep; no field of a job spec does`;
    expect(errors({ ...pyspark, labels: nested(10_000) })).toEqual([{ field: deepPath('labels'), message }]);
    expect(errors({ ...pyspark, conf: nested(10_000) })).toEqual([{ field: deepPath('conf'), message }]);
    // an unknown field is no way around it
    expect(errors({ ...pyspark, extra: nested(10_000) })).toEqual([{ field: deepPath('extra'), message }]);
    // arrays count as levels too, and are named by index
    let list: unknown = [];
    for (let i = 0; i < 10_000; i++) list = [list];
    expect(errors({ ...pyspark, args: list })).toEqual([{ field: ['args', ...Array.from({ length: MAX_SPEC_DEPTH - 1 }, () => '0')].join('.'), message }]);
  });

  it('accepts the deepest real field (route.criteria.N.tag)', () => {
    expect(ok({ ...pyspark, route: { criteria: [{ env: 'prod' }] } }).route.criteria).toEqual([{ env: 'prod' }]);
  });

  it('names the field of a cycle', () => {
    const cyclic: Record<string, unknown> = { ...pyspark };
    cyclic.labels = { self: cyclic };
    expect(errors(cyclic)).toEqual([{ field: 'labels.self', message: 'refers back to an enclosing object (a cycle); a spec must be plain JSON data' }]);
  });

  it('names the field of a value JSON cannot carry', () => {
    expect(errors({ ...pyspark, args: ['ok', 10n] })).toEqual([{ field: 'args.1', message: 'must be JSON data (string, number, boolean, null, array or object), not a bigint' }]);
    expect(fields({ ...pyspark, conf: { 'spark.x': () => 'x' } })).toEqual(['conf.spark.x']);
    expect(fields({ ...pyspark, labels: { when: new Date(0) } })).toEqual(['labels.when']);
    expect(errors({ ...pyspark, labels: new Map([['a', 'b']]) })).toEqual([
      { field: 'labels', message: 'must be JSON data (string, number, boolean, null, array or object), not a Map' },
    ]);
  });

  it('reports a 1 MB conf value on that conf key, with its own cap', () => {
    expect(errors({ ...pyspark, conf: { 'spark.sql.shuffle.partitions': '8', 'spark.big': 'v'.repeat(1_048_576) } })).toEqual([
      { field: 'conf.spark.big', message: 'is 1048576 characters; at most 8192 allowed' },
    ]);
    // and every other field with a cap the same way, however large
    expect(errors({ ...sql, sql: 'x'.repeat(5_000_000) })).toEqual([{ field: 'sql', message: 'is 5000000 characters; at most 100000 allowed' }]);
    expect(errors({ ...pyspark, args: Array.from({ length: 100_000 }, () => 'a') })).toEqual([{ field: 'args', message: 'has 100000 entries; at most 1000 allowed' }]);
  });

  it('still reports the other fields beside an over-long value', () => {
    expect(errors({ ...pyspark, team: 'NOT A TEAM', conf: { 'spark.big': 'v'.repeat(1_048_576) } })).toEqual([
      { field: 'conf.spark.big', message: 'is 1048576 characters; at most 8192 allowed' },
      { field: 'team', message: '2-40 lowercase letters, digits or -, starting with a letter' },
    ]);
  });

  it('turns a throwing getter into an error on that field', () => {
    const spec = {
      ...pyspark,
      get conf(): Record<string, string> {
        throw new Error('boom');
      },
    };
    expect(errors(spec)).toEqual([{ field: 'conf', message: 'could not be read (a getter or proxy threw)' }]);
  });

  it('turns a throwing Proxy into an error on the field it guards', () => {
    const trap = () => {
      throw new Error('trap');
    };
    expect(errors({ ...pyspark, labels: new Proxy({}, { ownKeys: trap }) })).toEqual([{ field: 'labels', message: 'could not be read (a getter or proxy threw)' }]);
    expect(errors(new Proxy({ ...pyspark }, { get: (t, k) => (k === 'file' ? trap() : Reflect.get(t, k)) }))).toEqual([
      { field: 'file', message: 'could not be read (a getter or proxy threw)' },
    ]);
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(errors({ ...pyspark, route: revoked.proxy })).toEqual([{ field: 'route', message: 'could not be read (a getter or proxy threw)' }]);
    expect(errors(revoked.proxy)).toEqual([{ field: '(spec)', message: 'could not be read (a getter or proxy threw)' }]);
  });

  it('reads each value once, so what is validated is what is returned', () => {
    let reads = 0;
    const spec = {
      ...pyspark,
      get file() {
        reads++;
        return reads === 1 ? 's3://bucket/ok.py' : 'ftp://evil/x.py';
      },
    };
    expect(ok(spec)).toMatchObject({ file: 's3://bucket/ok.py' });
    expect(reads).toBe(1);
  });
});

describe('parseJobSpec: credentials wherever they are (issue 9, item 9)', () => {
  const SECRET_MESSAGE = /credentials live in worker config, never in a job spec/;

  it.each([
    ['a presigned S3 URL', 'https://b.s3.amazonaws.com/x.py?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101&X-Amz-Signature=abc123'],
    ['a presigned URL, other case', 'https://b.s3.amazonaws.com/x.py?x-amz-signature=abc'],
    ['a token query parameter', 'https://repo.internal/x.py?token=abc'],
    ['an access_token parameter', 'https://repo.internal/x.py?a=1&access_token=abc'],
    ['a SAS signature', 'https://acct.blob.core.windows.net/c/x.py?sv=2020-08-04&sig=abc%3D'],
    ['a password parameter', 'https://repo.internal/x.py?user=a&password=b'],
    ['userinfo with one slash', 'http:/user:pw@host/x.py'],
    ['userinfo with no slash', 'http:user:pw@host/x.py'],
    ['userinfo with backslashes', 'https:\\\\user:pw@host/x.py'],
    ['S3 keys as userinfo', 's3://AKIAEXAMPLE:secret@bucket/x.py'],
  ])('refuses %s in every URI field', (_, url) => {
    for (const [field, input] of [
      ['file', { ...pyspark, file: url }],
      ['pyFiles.0', { ...pyspark, pyFiles: [url] }],
      ['files.0', { ...pyspark, files: [url] }],
      ['archives.0', { ...pyspark, archives: [url] }],
      ['jars.0', { ...jar, jars: [url] }],
    ] as const) {
      const errs = errors(input);
      expect(errs.map((e) => e.field), `${field} ${url}`).toEqual([field]);
      expect(errs[0]!.message).toMatch(SECRET_MESSAGE);
    }
  });

  it('refuses credentials inside args, conf values, SQL text and labels', () => {
    const presigned = 'https://b.s3.amazonaws.com/in.csv?X-Amz-Signature=abc';
    expect(fields({ ...pyspark, args: ['--input', presigned] })).toEqual(['args.1']);
    expect(fields({ ...pyspark, args: ['--db=jdbc:postgresql://app:hunter2@db.internal/x'] })).toEqual(['args.0']);
    expect(fields({ ...pyspark, args: ['--db', 'jdbc:sqlserver://db.internal;user=app;password=hunter2'] })).toEqual(['args.1']);
    expect(fields({ ...pyspark, conf: { 'spark.jars.repositories': 'https://u:p@repo.internal/maven' } })).toEqual(['conf.spark.jars.repositories']);
    expect(fields({ ...pyspark, conf: { 'spark.app.source': 'http:/user:pw@host' } })).toEqual(['conf.spark.app.source']);
    expect(fields({ ...sql, sql: `SELECT * FROM csv.\`${presigned}\`` })).toEqual(['sql']);
    expect(fields({ ...pyspark, labels: { source: 'https://x/?token=abc' } })).toEqual(['labels.source']);
    expect(fields({ ...pyspark, args: ['AKIAIOSFODNN7EXAMPLE'] })).toEqual(['args.0']);
    expect(fields({ ...pyspark, args: ['-----BEGIN RSA PRIVATE KEY-----\nMIIE'] })).toEqual(['args.0']);
  });

  it('leaves ordinary values alone', () => {
    const spec = ok({
      ...pyspark,
      file: 's3://bucket/team@2024/x.py',
      files: ['https://repo.internal/x.py?version=3&ref=main'],
      args: ['--notify', 'mailto:ops@acme.com', '--since=2024-01-01T00:00:00Z', 'ops@acme.com', '--password-file', 's3://b/pw.txt'],
      conf: { 'spark.driver.extraClassPath': '/opt/lib/*', 'spark.sql.session.timeZone': 'UTC' },
    });
    expect(spec).toMatchObject({ args: expect.arrayContaining(['mailto:ops@acme.com']) });
  });

  it('refuses conf keys that name secrets, wherever in the key', () => {
    const keys = [
      'spark.ssl.keyStore.passphrase',
      'spark.ssl.ui.keyStorePassword',
      'spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net',
      'fs.azure.account.key.acct.dfs.core.windows.net',
      'spark.hadoop.fs.s3a.encryption.key',
      'spark.hadoop.fs.azure.sas.container.acct.blob.core.windows.net',
      'spark.executorEnv.API_KEY',
      'spark.executorEnv.GITHUB_TOKEN',
      'spark.yarn.appMasterEnv.DB_PASSWORD',
      'spark.yarn.appMasterEnv.SERVICE_APIKEY',
      'spark.hadoop.fs.gs.auth.service.account.json.keyfile',
    ];
    for (const key of keys) {
      const errs = errors({ ...pyspark, conf: { [key]: 'x' } });
      expect(errs, key).toEqual([{ field: `conf.${key}`, message: expect.stringMatching(SECRET_MESSAGE) }]);
    }
  });
});

describe('the JSON Schema of a spec says what parseJobSpec accepts (the OpenAPI document is made from it)', () => {
  const documented = z.toJSONSchema(jobSpecSchema, { io: 'input', unrepresentable: 'any' }) as { oneOf?: any[]; anyOf?: any[] };
  const pysparkDoc = (documented.oneOf ?? documented.anyOf)!.find((o) => o.properties.kind.const === 'pyspark');
  const durationDoc = pysparkDoc.properties.timeouts.properties.queue;
  const textPattern = new RegExp(durationDoc.anyOf.find((o: any) => o.type === 'string').pattern);
  const uriPattern = new RegExp(pysparkDoc.properties.file.pattern);
  const accepted = (value: unknown, at: (v: unknown) => object) => parseJobSpec({ ...pyspark, ...at(value) }).ok;

  it('documents durations as a pattern or a positive number of seconds, not any string or number', () => {
    expect(durationDoc.anyOf).toEqual([
      { type: 'string', pattern: expect.any(String) },
      { type: 'number', exclusiveMinimum: 0, maximum: MAX_DURATION_SECONDS, multipleOf: 1 },
    ]);
  });

  // Found by schemathesis: "" and "0s" fitted the document's {type: [string, number]} and were refused (422).
  it.each(['90s', ' 5m ', '\u00a030m\ufeff', '120', '007', '1d2h3m4s', '0d1s', '', '0s', '00', '0d0h', '1m1h', '5 m', '1.5h', '-1m', 'h', '\x1c5s', '5s\x85', '1s\u200b'])(
    'duration %j: the pattern matches exactly when parseJobSpec takes it',
    (text) => {
      expect(textPattern.test(text)).toBe(accepted(text, (v) => ({ timeouts: { queue: v } })));
    },
  );

  // Found by schemathesis: a `__proto__` tag key fitted the document; the spec (and the API's JSON parser) refuse it.
  it('documents every record as refusing the keys readPlainData refuses', () => {
    const records = [pysparkDoc.properties.conf, pysparkDoc.properties.labels, pysparkDoc.properties.route.properties.criteria.items];
    for (const record of records) expect(record.propertyNames).toMatchObject({ not: { enum: ['__proto__', 'constructor', 'prototype'] } });
    expect(parseJobSpec(JSON.parse(`{"name":"a","team":"ab","kind":"sql","sql":"x","labels":{"__proto__":"x"}}`)).ok).toBe(false);
  });

  it.each(['s3://b/a.py', 'file:/x', 'http:/', '', 's3:bucket/x', 'S3://b/x', 's3://b/has space', 's3://b/x\u00a0y', 's3://b/x\x1cy', 'ftp://h/x', 'local:'])(
    'URI %j: the pattern matches exactly when parseJobSpec takes it',
    (file) => {
      expect(uriPattern.test(file)).toBe(accepted(file, (v) => ({ file: v })));
    },
  );
});
