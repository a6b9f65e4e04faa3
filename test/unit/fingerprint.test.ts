import { describe, expect, it } from 'vitest';
import { canonicalJson, diffSpecs, fnv1a64, parseJobSpec, specFingerprint, type JobSpec, type JobSpecInput } from '../../contract';

function spec(input: Record<string, unknown>): JobSpec {
  const result = parseJobSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

const base: JobSpecInput = {
  name: 'daily report',
  team: 'data-eng',
  kind: 'pyspark',
  file: 's3://bucket/report.py',
  args: ['--day', '2024-01-01'],
  conf: { 'spark.executor.memory': '8g', 'spark.sql.shuffle.partitions': '200' },
  labels: { dag_id: 'daily', task_id: 'report' },
  retry: { initialBackoff: '1m', maxBackoff: '10m' },
  timeouts: { queue: '1h', run: '2h' },
};

/** The same object with every level's keys in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
  }
  return value;
}

describe('canonicalJson and fnv1a64', () => {
  it('sorts keys at every level, keeps array order, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(['b', 'a'])).not.toBe(canonicalJson(['a', 'b']));
  });

  it('is FNV-1a 64 as published (16 hex digits)', () => {
    // reference values of the FNV-1a 64-bit test suite
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });
});

describe('specFingerprint', () => {
  const fp = specFingerprint(spec(base));

  it('is a 16-hex-digit string, the same on every call', () => {
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(specFingerprint(spec(base))).toBe(fp);
  });

  it('does not depend on key order', () => {
    const input = reversed(base) as Record<string, unknown>;
    expect(Object.keys(input)[0]).toBe('timeouts');
    expect(specFingerprint(spec(input))).toBe(fp);
  });

  it('does not depend on how durations are spelled', () => {
    expect(specFingerprint(spec({ ...base, retry: { initialBackoff: 60, maxBackoff: '600' }, timeouts: { queue: '60m', run: 7200 } }))).toBe(fp);
    expect(specFingerprint(spec({ ...base, timeouts: { queue: '3600s', run: '1h60m' } }))).toBe(fp);
  });

  it('does not depend on defaults being written out or left out', () => {
    const explicit = { ...base, size: 'DEFAULT', files: [], archives: [], pyFiles: [], route: {}, retry: { ...base.retry, app: 1, infra: 3 } };
    expect(specFingerprint(spec(explicit))).toBe(fp);
  });

  it('ignores requestedBy: a retry by someone else is the same job', () => {
    expect(specFingerprint(spec({ ...base, requestedBy: 'alice' }))).toBe(fp);
    expect(specFingerprint(spec({ ...base, requestedBy: 'airflow' }))).toBe(fp);
  });

  it('survives the JSON round trip of the normalized spec', () => {
    expect(specFingerprint(JSON.parse(JSON.stringify(spec(base))))).toBe(fp);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an arg', { args: ['--day', '2024-01-02'] }],
    ['arg order', { args: ['2024-01-01', '--day'] }],
    ['a conf value', { conf: { ...base.conf, 'spark.executor.memory': '16g' } }],
    ['an added conf key', { conf: { ...base.conf, 'spark.speculation': 'true' } }],
    ['the file', { file: 's3://bucket/report2.py' }],
    ['the size', { size: 'LARGE' }],
    ['a timeout', { timeouts: { queue: '1h', run: '3h' } }],
    ['a retry budget', { retry: { ...base.retry, app: 2 } }],
    ['a label', { labels: { dag_id: 'daily', task_id: 'other' } }],
    ['the route', { route: { pool: 'adhoc' } }],
    ['the name', { name: 'daily report 2' }],
    ['the team', { team: 'data-ops' }],
  ])('changes with %s', (_what, change) => {
    expect(specFingerprint(spec({ ...base, ...change }))).not.toBe(fp);
  });

  it('tells kinds apart even with the same fields', () => {
    const jar = spec({ name: 'x1', team: 'ab', kind: 'jar', file: 's3://b/x', className: 'a.B' });
    const py = spec({ name: 'x1', team: 'ab', kind: 'pyspark', file: 's3://b/x' });
    expect(specFingerprint(jar)).not.toBe(specFingerprint(py));
  });
});

describe('diffSpecs', () => {
  const a = spec(base);

  it('is empty for equivalent specs (order, duration spelling, requestedBy)', () => {
    const b = spec({ ...(reversed(base) as object), timeouts: { queue: 3600, run: '120m' }, requestedBy: 'bob' });
    expect(diffSpecs(a, b)).toEqual([]);
  });

  it('names nested paths, sorted, down to conf keys', () => {
    const b = spec({
      ...base,
      args: ['--day', '2024-01-02'],
      conf: { 'spark.executor.memory': '16g', 'spark.sql.shuffle.partitions': '200', 'spark.speculation': 'true' },
      timeouts: { queue: '1h', run: '3h' },
      retry: { ...base.retry, infra: 5 },
      route: { criteria: [{ env: 'prod' }] },
    });
    expect(diffSpecs(a, b)).toEqual([
      'args',
      'conf.spark.executor.memory',
      'conf.spark.speculation',
      'retry.infra',
      'route.criteria',
      'timeouts.run',
    ]);
  });

  it('names a key present on one side only', () => {
    const withRun = spec(base);
    const withoutRun = spec({ ...base, timeouts: { queue: '1h' } });
    expect(diffSpecs(withRun, withoutRun)).toEqual(['timeouts.run']);
    expect(diffSpecs(withoutRun, withRun)).toEqual(['timeouts.run']);
  });

  it('names the kind-specific fields when the kind changes', () => {
    const jar = spec({ ...base, kind: 'jar', className: 'com.acme.Main' });
    expect(diffSpecs(a, jar)).toEqual(['className', 'jars', 'kind', 'pyFiles']);
  });

  it('agrees with the fingerprint', () => {
    const b = spec({ ...base, labels: { dag_id: 'daily', task_id: 'x' } });
    expect(diffSpecs(a, b)).toEqual(['labels.task_id']);
    expect(specFingerprint(a) === specFingerprint(b)).toBe(diffSpecs(a, b).length === 0);
  });
});
