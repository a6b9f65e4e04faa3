/**
 * The job contract: what a caller may ask for. Validated at every edge (client, CLI, HTTP) and
 * again inside the workflow, so a bad spec never starts a job.
 */
import { z } from 'zod';
import { parseDurationSeconds } from './duration';
import { SIZE_PRESETS } from './sizing';

/** Schemes Spark can fetch from; userinfo (user:password@) is refused so no credential rides in a spec. */
const URI_SCHEMES = ['s3', 's3a', 's3n', 'hdfs', 'viewfs', 'file', 'local', 'gs', 'abfs', 'abfss', 'wasb', 'wasbs', 'https', 'http'];
const uri = z
  .string()
  .max(2048)
  .refine((v) => /^[a-z][a-z0-9+.-]*:\/\S*$/.test(v) && URI_SCHEMES.includes(v.slice(0, v.indexOf(':'))), {
    message: `must be a URI with one of the schemes ${URI_SCHEMES.join(', ')} (e.g. s3://bucket/app.py)`,
  })
  .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/.test(v), { message: 'must not carry credentials (user:password@)' });

const uriList = z.array(uri).max(200).default([]);
const argList = z.array(z.string().max(16_384)).max(1000).default([]);

/** Longest duration a spec may ask for: far below what a Temporal timer accepts (~10,000 years). */
export const MAX_DURATION_SECONDS = 365 * 86400;

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const seconds = parseDurationSeconds(v);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as 90s, 30m, 2h, 1d or a number of seconds' });
      return z.NEVER;
    }
    if (seconds > MAX_DURATION_SECONDS) {
      ctx.addIssue({ code: 'custom', message: 'must be at most 365d' });
      return z.NEVER;
    }
    return seconds;
  });

/** Conf keys Shale sets itself (attempt naming) and keys that smell of credentials. */
const RESERVED_CONF_KEYS = new Set(['spark.yarn.tags', 'spark.app.name']);
const CREDENTIAL_KEY = /(password|passwd|secret|token|credential|access[._-]?key|session[._-]?key|private[._-]?key)/i;

const sparkConf = z
  .record(z.string().regex(/^[A-Za-z0-9_.\-:]{1,200}$/, 'conf keys are letters, digits and . _ - :'), z.string().max(8192))
  .default({})
  .superRefine((conf, ctx) => {
    const keys = Object.keys(conf);
    if (keys.length > 500) ctx.addIssue({ code: 'custom', message: 'at most 500 conf entries' });
    for (const key of keys) {
      if (RESERVED_CONF_KEYS.has(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is set by Shale (attempt name and YARN tag); remove it' });
      } else if (CREDENTIAL_KEY.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'looks like a credential; credentials live in worker config, never in a job spec',
        });
      }
    }
  });

const labelKey = z.string().regex(/^[A-Za-z0-9_.\-/]{1,63}$/, 'label keys are 1-63 letters, digits or . _ - /');
const labels = z
  .record(labelKey, z.string().max(256))
  .default({})
  .refine((l) => Object.keys(l).length <= 32, { message: 'at most 32 labels' });

const tagSet = z.record(z.string().min(1).max(128), z.string().max(256));

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
  proxyUser: z.string().regex(/^[A-Za-z0-9_.\-@]{1,100}$/).optional(),
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

export interface FieldError {
  field: string;
  message: string;
}

export type SpecParseResult = { ok: true; spec: JobSpec } | { ok: false; errors: FieldError[] };

/** Largest spec accepted, as JSON: keeps workflow history and payloads small. */
export const MAX_SPEC_BYTES = 256 * 1024;

export function parseJobSpec(input: unknown): SpecParseResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '(spec)', message: 'must be an object' }] };
  }
  let json: string;
  try {
    json = JSON.stringify(input);
  } catch {
    return { ok: false, errors: [{ field: '(spec)', message: 'must be plain JSON data (no cycles, BigInts or throwing getters)' }] };
  }
  const size = utf8Length(json);
  if (size > MAX_SPEC_BYTES) {
    return { ok: false, errors: [{ field: '(spec)', message: `is ${size} bytes; at most ${MAX_SPEC_BYTES} allowed` }] };
  }
  const reserved = reservedKeys(input);
  if (reserved.length > 0) return { ok: false, errors: reserved };
  const result = jobSpecSchema.safeParse(input);
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, errors: result.error.issues.map(toFieldError) };
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

/**
 * Keys that name JavaScript's object machinery. zod drops `__proto__` from records without a word
 * and would keep `constructor` as a conf key: refuse them anywhere, with their path.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function reservedKeys(input: object): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: input, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const at = [...path, key];
      if (RESERVED_KEYS.has(key)) errors.push({ field: at.join('.'), message: `'${key}' is a reserved name and cannot be a key` });
      else stack.push({ value: (value as Record<string, unknown>)[key], path: at });
    }
  }
  return errors;
}

function toFieldError(issue: z.core.$ZodIssue): FieldError {
  const field = issue.path.map(String).join('.') || '(spec)';
  if (issue.code === 'unrecognized_keys') {
    return { field, message: `unknown field(s): ${issue.keys.join(', ')}` };
  }
  if (issue.code === 'invalid_union' && issue.path.length === 0) {
    return { field: 'kind', message: 'must be one of pyspark, jar, sql' };
  }
  return { field, message: issue.message };
}

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
