/**
 * Hostile input, generated property-based with fast-check (seeded: CHAOS_SEED reproduces a run).
 * Shared by the hostile-specs and hostile-payloads scenarios.
 */
import fc from 'fast-check';

export const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31);

/** Marks where a property must be a getter that throws (not representable as a plain value). */
export const THROWING_GETTER = Symbol('throwing getter');

export const BASE_SPECS: ReadonlyArray<Record<string, unknown>> = [
  {
    name: 'hostile-pyspark',
    team: 'chaos',
    kind: 'pyspark',
    file: 's3://chaos/jobs/app.py',
    route: { sparkVersion: '3' },
    retry: { app: 0, infra: 1, initialBackoff: 1, maxBackoff: 2 },
    timeouts: { queue: 60 },
    conf: { 'shale.sim.durationMs': '200' },
  },
  {
    name: 'hostile-jar',
    team: 'chaos',
    kind: 'jar',
    file: 's3://chaos/jobs/app.jar',
    className: 'com.acme.Main',
    route: { sparkVersion: '3' },
    retry: { app: 0, infra: 1, initialBackoff: 1, maxBackoff: 2 },
    timeouts: { queue: 60 },
    conf: { 'shale.sim.durationMs': '200' },
  },
  {
    name: 'hostile-sql',
    team: 'chaos',
    kind: 'sql',
    sql: 'select 1',
    route: { sparkVersion: '3' },
    retry: { app: 0, infra: 1, initialBackoff: 1, maxBackoff: 2 },
    timeouts: { queue: 60 },
    conf: { 'shale.sim.durationMs': '200' },
  },
];

function nested(depth: number, array: boolean): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = array ? [value] : { a: value };
  return value;
}

/** Values nobody should send: wrong types, deep nesting, huge strings, credentials in disguise, JS machinery. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true, withObjectString: true }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 200, max: 5000 }), fc.boolean()).map(([depth, array]) => nested(depth, array)) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 1_100_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant(THROWING_GETTER) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, -1, 2 ** 53 + 1, 0.5) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'http:/user:pw@host/app.py',
      'https://user:pw@host/app.py',
      's3://b/app.py?X-Amz-Signature=abc&X-Amz-Credential=AKIA',
      'https://host/app.py?token=abc',
      'javascript:alert(1)',
      'file:///etc/passwd',
      '../../etc/passwd',
      '${jndi:ldap://x/a}',
      '\u0000',
      '\ud800',
      ' '.repeat(300),
      'a'.repeat(10_000),
    ),
  },
);

const TOP_LEVEL_KEYS = [
  'name', 'team', 'kind', 'file', 'className', 'sql', 'pyFiles', 'jars', 'args', 'files', 'archives', 'conf', 'queue', 'proxyUser',
  'size', 'route', 'retry', 'timeouts', 'labels', 'requestedBy', 'bogus', '__proto__', 'constructor',
] as const;

const NESTED_TARGETS = [
  ['conf', fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('spark.executor.memory', 'spark.executorEnv.API_KEY', 'spark.kerberos.keytab', 'spark.yarn.tags', '__proto__', 'constructor', 'a'.repeat(300)))],
  ['labels', fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('dag_id', '__proto__', 'x'.repeat(100)))],
  ['route', fc.constantFrom('sparkVersion', 'pool', 'clusterId', 'criteria', 'bogus')],
  ['retry', fc.constantFrom('app', 'infra', 'initialBackoff', 'maxBackoff', 'bogus')],
  ['timeouts', fc.constantFrom('queue', 'run', 'bogus')],
] as const;

export interface HostileSpec {
  spec: unknown;
  /** Where it was made hostile: a field path such as "conf.spark.x" or "route.pool", or "(spec)" for the whole. */
  at: string;
}

function setValue(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === THROWING_GETTER) {
    Object.defineProperty(target, key, { enumerable: true, configurable: true, get: () => { throw new Error('chaos: hostile getter'); } });
  } else {
    Object.defineProperty(target, key, { enumerable: true, configurable: true, writable: true, value });
  }
}

const mutation: fc.Arbitrary<HostileSpec> = fc
  .tuple(
    fc.nat({ max: BASE_SPECS.length - 1 }),
    fc.oneof(
      fc.constantFrom(...TOP_LEVEL_KEYS).map((key) => [key] as string[]),
      fc.oneof(...NESTED_TARGETS.map(([parent, keys]) => (keys as fc.Arbitrary<string>).map((key) => [parent, key]))),
    ),
    hostileValue,
    fc.boolean(),
  )
  .map(([base, path, value, remove]) => {
    const spec = structuredClone(BASE_SPECS[base]!) as Record<string, unknown>;
    if (path.length === 1) {
      if (remove && path[0] !== '__proto__') delete spec[path[0]!];
      else setValue(spec, path[0]!, value);
    } else {
      const parent = (spec[path[0]!] ??= {}) as Record<string, unknown>;
      setValue(parent, path[1]!, value);
    }
    return { spec, at: path.join('.') };
  });

/** Mostly one hostile field in an otherwise valid spec; sometimes a whole hostile value. */
export const hostileSpec: fc.Arbitrary<HostileSpec> = fc.oneof(
  { weight: 9, arbitrary: mutation },
  { weight: 1, arbitrary: hostileValue.map((value) => ({ spec: value === THROWING_GETTER ? {} : value, at: '(spec)' })) },
);

/** `count` samples of `arb`, in chunks (a sample can be a megabyte: never hold all of them at once). */
export function* samples<T>(arb: fc.Arbitrary<T>, count: number, seed = SEED): Generator<T> {
  for (let done = 0, chunk = 0; done < count; chunk++) {
    const n = Math.min(50, count - done);
    yield* fc.sample(arb, { numRuns: n, seed: seed + chunk });
    done += n;
  }
}

/** Payloads for the `cancel` signal and the `requestCancel` Update that are clearly not a CancelArgs. */
export const junkCancelArgs: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 50 }),
  fc.boolean(),
  fc.array(fc.anything({ maxDepth: 2 }), { minLength: 1, maxLength: 5 }),
  fc.record({ reason: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string()), fc.object({ maxDepth: 2 })) }),
  fc.record({ requestedBy: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string()), fc.object({ maxDepth: 2 })) }),
  fc.record({ reason: fc.string({ maxLength: 20 }), requestedBy: fc.oneof(fc.integer(), fc.object({ maxDepth: 1 })) }),
  fc.integer({ min: 200, max: 3000 }).map((depth) => ({ reason: nested(depth, false) })),
);
