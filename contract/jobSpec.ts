/**
 * The job contract: what a caller may ask for. Validated at every edge (client, CLI, HTTP) and
 * again inside the workflow, so a bad spec never starts a job.
 */
import { z } from 'zod';
import { credentialIn, namesSecret } from './credentials';
import { parseDurationSeconds } from './duration';
import { fieldName, readPlainData, type FieldError } from './plainData';
import { SIZE_PRESETS } from './sizing';

export type { FieldError } from './plainData';

/** Schemes Spark can fetch from. Credentials in them (user:password@, signed queries) are refused with every other string's. */
const URI_SCHEMES = ['s3', 's3a', 's3n', 'hdfs', 'viewfs', 'file', 'local', 'gs', 'abfs', 'abfss', 'wasb', 'wasbs', 'https', 'http'];
/**
 * JavaScript's whitespace (what String#trim removes and \s matches), spelled out: the patterns below
 * are also the OpenAPI document's, and other regex engines (Python's) read \s and \S differently.
 */
const JS_SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const URI_PATTERN = new RegExp(`^(?:${URI_SCHEMES.join('|')}):\\/[^${JS_SPACE}]*$`);
const uri = z
  .string()
  .max(2048)
  .regex(URI_PATTERN, `must be a URI with one of the schemes ${URI_SCHEMES.join(', ')} (e.g. s3://bucket/app.py)`);

const uriList = z.array(uri).max(200).default([]);
const argList = z.array(z.string().max(16_384)).max(1000).default([]);

/** Longest duration a spec may ask for: far below what a Temporal timer accepts (~10,000 years). */
export const MAX_DURATION_SECONDS = 365 * 86400;

const DURATION_EXPECTED = 'must be a positive duration such as 90s, 30m, 2h, 1d or a number of seconds';
/**
 * The text parseDurationSeconds accepts, as one pattern (so the OpenAPI document says it): digits, or
 * d/h/m/s parts in that order, with some part above zero, around optional whitespace. Each branch
 * names the first part that is not zero (no lookahead: not every JSON Schema tool reads one).
 */
const DURATION_TEXT_PATTERN = (() => {
  const nonZero = '[0-9]*[1-9][0-9]*';
  const units = ['d', 'h', 'm', 's'];
  const part = (unit: string) => `(?:[0-9]+${unit})?`;
  const branches = units.map((unit, i) => units.slice(0, i).map(part).join('') + nonZero + unit + units.slice(i + 1).map(part).join(''));
  return new RegExp(`^[${JS_SPACE}]*(?:${nonZero}|${branches.join('|')})[${JS_SPACE}]*$`);
})();
const duration = z
  .union(
    [
      z.string().regex(DURATION_TEXT_PATTERN, DURATION_EXPECTED),
      // multipleOf(1), not int(): int() also refuses 1e300 (not a safe integer), which is "at most 365d" like any other large number.
      z.number().positive(DURATION_EXPECTED).multipleOf(1, DURATION_EXPECTED).max(MAX_DURATION_SECONDS, 'must be at most 365d'),
    ],
    { error: DURATION_EXPECTED },
  )
  .transform((v, ctx) => {
    const seconds = parseDurationSeconds(v);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: DURATION_EXPECTED });
      return z.NEVER;
    }
    // Text has no maximum the pattern could say ("366d", "99999999999s").
    if (seconds > MAX_DURATION_SECONDS) {
      ctx.addIssue({ code: 'custom', message: 'must be at most 365d' });
      return z.NEVER;
    }
    return seconds;
  });

/**
 * readPlainData refuses these keys anywhere in a spec (contract/plainData.ts): said in each record's
 * JSON Schema (propertyNames), so the OpenAPI document does not offer them.
 */
const NOT_A_RESERVED_KEY = { not: { enum: ['__proto__', 'constructor', 'prototype'] } };

/** Conf keys Shale sets itself (attempt naming). Keys naming secrets are refused by credentialErrors. */
const RESERVED_CONF_KEYS = new Set(['spark.yarn.tags', 'spark.app.name']);

/** A Spark conf key; team policies' conf prefixes are checked with the same rule. */
export const confKeySchema = z.string().regex(/^[A-Za-z0-9_.\-:]{1,200}$/, 'conf keys are letters, digits and . _ - :');
/** A user Livy may run the batch as; team policies list the ones a team may name. */
export const proxyUserSchema = z.string().regex(/^[A-Za-z0-9_.\-@]{1,100}$/);

const sparkConf = z
  .record(confKeySchema.meta(NOT_A_RESERVED_KEY), z.string().max(8192))
  .default({})
  .superRefine((conf, ctx) => {
    const keys = Object.keys(conf);
    if (keys.length > 500) ctx.addIssue({ code: 'custom', message: 'at most 500 conf entries' });
    for (const key of keys) {
      if (RESERVED_CONF_KEYS.has(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is set by Shale (attempt name and YARN tag); remove it' });
      }
    }
  });

const labelKey = z.string().regex(/^[A-Za-z0-9_.\-/]{1,63}$/, 'label keys are 1-63 letters, digits or . _ - /');
const labels = z
  .record(labelKey.meta(NOT_A_RESERVED_KEY), z.string().max(256))
  .default({})
  .refine((l) => Object.keys(l).length <= 32, { message: 'at most 32 labels' });

const tagSet = z.record(z.string().min(1).max(128).meta(NOT_A_RESERVED_KEY), z.string().max(256));

const route = z
  .strictObject({
    sparkVersion: z.enum(['2', '3']).optional(),
    pool: z.string().min(1).max(128).optional(),
    clusterId: z.string().min(1).max(128).optional(),
    criteria: z.array(tagSet).min(1).max(10).optional(),
  })
  .default({});

const retry = z
  .strictObject({
    app: z.number().int().min(0).max(10).default(1),
    infra: z.number().int().min(0).max(20).default(3),
    initialBackoff: duration.default(30),
    maxBackoff: duration.default(600),
  })
  .default({ app: 1, infra: 3, initialBackoff: 30, maxBackoff: 600 })
  .refine((r) => r.maxBackoff >= r.initialBackoff, { message: 'maxBackoff must be at least initialBackoff', path: ['maxBackoff'] });

const timeouts = z
  .strictObject({
    /** Bounds the wait for a cluster to take the job. */
    queue: duration.default(3600),
    /** Bounds one attempt's run time from submission; the batch is killed and the job ends TIMED_OUT. */
    run: duration.optional(),
  })
  .default({ queue: 3600 });

const common = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._\-:]{0,99}$/, '1-100 characters: letters, digits, space and . _ - :'),
  team: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, '2-40 lowercase letters, digits or -, starting with a letter'),
  files: uriList,
  archives: uriList,
  conf: sparkConf,
  queue: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).optional(),
  proxyUser: proxyUserSchema.optional(),
  size: z.enum(SIZE_PRESETS).default('DEFAULT'),
  route,
  retry,
  timeouts,
  labels,
  requestedBy: z.string().min(1).max(200).optional(),
};

const pysparkSpec = z.strictObject({ ...common, kind: z.literal('pyspark'), file: uri, pyFiles: uriList, args: argList });
const jarSpec = z.strictObject({
  ...common,
  kind: z.literal('jar'),
  file: uri,
  className: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$/, 'a Java class name such as com.acme.Main'),
  jars: uriList,
  args: argList,
});
const sqlSpec = z.strictObject({ ...common, kind: z.literal('sql'), sql: z.string().min(1).max(100_000) });

export const jobSpecSchema = z.discriminatedUnion('kind', [pysparkSpec, jarSpec, sqlSpec]);

/** What a caller writes (durations as text, defaults omitted). */
export type JobSpecInput = z.input<typeof jobSpecSchema>;
/** The normalized spec: defaults filled in, durations in seconds. This is what a job carries. */
export type JobSpec = z.output<typeof jobSpecSchema>;
export type JobKind = JobSpec['kind'];

export type SpecParseResult = { ok: true; spec: JobSpec } | { ok: false; errors: FieldError[] };

/** Largest spec accepted, as JSON: keeps workflow history and payloads small. */
export const MAX_SPEC_BYTES = 256 * 1024;
/** Any one string the schema leaves uncapped (a conf value, an argument): a quarter of the whole spec. */
export const MAX_STRING_LENGTH = 64 * 1024;
/** Deepest a value may sit below the spec; the deepest real field (route.criteria.N.tag) is 4. */
export const MAX_SPEC_DEPTH = 8;
/** Errors reported at most: enough to fix a spec, bounded for a failure message. */
export const MAX_REPORTED_ERRORS = 50;

const CREDENTIAL_ADVICE = 'credentials live in worker config, never in a job spec';

/**
 * Validates anything (a caller's object, a workflow input, a Proxy) into the normalized spec, or
 * field-level errors; never throws. The input is first copied into plain, bounded JSON data (depth,
 * per-field caps, whole-spec size), so zod never walks a hostile structure.
 */
export function parseJobSpec(input: unknown): SpecParseResult {
  const top = topLevelError(input);
  if (top) return { ok: false, errors: [top] };
  const plain = readPlainData(input, { maxDepth: MAX_SPEC_DEPTH, schema: jobSpecSchema, maxErrors: MAX_REPORTED_ERRORS, maxStringLength: MAX_STRING_LENGTH });
  if (plain.shapeErrors.length > 0) return { ok: false, errors: [...plain.lengthErrors, ...plain.shapeErrors] };
  const size = utf8Length(JSON.stringify(plain.value));
  if (size > MAX_SPEC_BYTES) {
    return { ok: false, errors: [...plain.lengthErrors, { field: '(spec)', message: `is ${size} bytes; at most ${MAX_SPEC_BYTES} allowed` }] };
  }
  const result = jobSpecSchema.safeParse(plain.value);
  // A cut value's or a credential's error says more than what the schema then finds on the same field.
  const claimed = [...plain.lengthErrors, ...credentialErrors(plain.value)];
  const claimedFields = new Set(claimed.map((e) => e.field));
  const schemaErrors = result.success ? [] : result.error.issues.map((i) => toFieldError(i, plain.value)).filter((e) => !claimedFields.has(e.field));
  const errors = [...claimed, ...schemaErrors];
  if (errors.length > 0 || !result.success) return { ok: false, errors: errors.slice(0, MAX_REPORTED_ERRORS) };
  return { ok: true, spec: result.data };
}

function topLevelError(input: unknown): FieldError | undefined {
  if (input === null || typeof input !== 'object') return { field: '(spec)', message: 'must be an object' };
  try {
    return Array.isArray(input) ? { field: '(spec)', message: 'must be an object' } : undefined;
  } catch {
    return { field: '(spec)', message: 'could not be read (a getter or proxy threw)' };
  }
}

/** Every string anywhere in the spec, and every conf key, checked for credentials. */
function credentialErrors(spec: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string') {
      const found = credentialIn(value);
      if (found) errors.push({ field: fieldName(path), message: `carries a credential (${found}); ${CREDENTIAL_ADVICE}` });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, i]));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = [...path, key];
        if (path.length === 1 && path[0] === 'conf' && namesSecret(key)) {
          errors.push({ field: fieldName(at), message: `looks like a credential; ${CREDENTIAL_ADVICE}` });
        } else visit(item, at);
      }
    }
  };
  visit(spec, []);
  return errors;
}

/** Bytes of the UTF-8 encoding (payloads are UTF-8 JSON); pure code, usable inside the workflow. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** What a caller would call a JSON value's type, for "must be a string, not a number". */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

function toFieldError(issue: z.core.$ZodIssue, input: unknown): FieldError {
  const field = issue.path.map(String).join('.') || '(spec)';
  if (issue.code === 'invalid_type') {
    // zod's "expected string, received undefined" means the field is missing; never echo the value (it may be a secret).
    const expected = issue.expected === 'array' ? 'a list' : issue.expected === 'object' || issue.expected === 'record' ? 'an object' : `a ${issue.expected}`;
    const value = valueAt(input, issue.path);
    return { field, message: value === undefined ? `is required (${expected})` : `must be ${expected}, not ${typeName(value)}` };
  }
  if (issue.code === 'unrecognized_keys') {
    return { field, message: `unknown field(s): ${issue.keys.join(', ')}` };
  }
  if (issue.code === 'invalid_union' && (issue.path.length === 0 || field === 'kind')) {
    return { field: 'kind', message: valueAt(input, ['kind']) === undefined ? 'is required (one of pyspark, jar, sql)' : 'must be one of pyspark, jar, sql' };
  }
  if (issue.code === 'invalid_value') return { field, message: `must be one of ${issue.values.map(String).join(', ')}` };
  return { field, message: issue.message };
}

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
