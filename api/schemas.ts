/**
 * The shapes only the HTTP API has: request parameters, the submit answer, a page of jobs, an audit
 * timeline, a log chunk. The job's own data (status, cancel answer) comes from contract/statusSchema.ts.
 * Each response schema that mirrors a TypeScript interface is checked against it at compile time.
 */
import { z } from 'zod';
import { JOB_STATES, IDEMPOTENCY_KEY_PATTERN, jobSpecSchema, MAX_JOB_ID_LENGTH } from '../contract';
import { jobStateSchema, type SameType } from '../contract/statusSchema';
import type { AuditEntry } from '../client/audit';
import type { LogChunk } from '../client/logs';
import type { JobSummary } from '../client/shaleClient';

/** Job IDs are lowercase letters, digits and dashes (contract/jobId.ts). */
export const jobIdParams = z.object({
  jobId: z
    .string()
    .regex(new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_JOB_ID_LENGTH - 1}}$`), `a job ID: lowercase letters, digits and -, at most ${MAX_JOB_ID_LENGTH}`),
});

export const idempotencyKeySchema = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, '1-256 printable ASCII characters, no spaces')
  .describe('The same key (per team) always names the same job: a repeat returns it, or runs it again if it ended FAILED, CANCELLED or TIMED_OUT.');

/**
 * The body of a submit, as the OpenAPI document describes it: the contract's JobSpec without
 * `requestedBy`, which the API sets to the principal (a body that sets it is refused). The body is
 * checked by the contract's own parseJobSpec (its caps, credential checks and messages).
 */
const [pysparkSpec, jarSpec, sqlSpec] = jobSpecSchema.options;
export const submitBodySchema = z
  .discriminatedUnion('kind', [pysparkSpec.omit({ requestedBy: true }), jarSpec.omit({ requestedBy: true }), sqlSpec.omit({ requestedBy: true })])
  .meta({ id: 'JobSpec' });

export const submitHeaders = z.looseObject({ 'idempotency-key': idempotencyKeySchema.optional() });

export const submitAnswerSchema = z
  .object({
    jobId: z.string(),
    /** True for a new job, and for a new run of a job that ended FAILED, CANCELLED or TIMED_OUT. */
    created: z.boolean(),
    /** True when the job ID already existed and this started a new run of it. */
    rerun: z.boolean(),
    state: jobStateSchema,
  })
  .meta({ id: 'SubmitAnswer' });

/** Values that reach a visibility query (client/listQuery.ts refuses anything else). */
const SAFE_VALUE = /^[A-Za-z0-9 _.\-:@/=+]{1,200}$/;
const safe = (what: string) => z.string().regex(SAFE_VALUE, `${what}: letters, digits, space and _ . - : @ / = + (at most 200)`);

export const listQuerySchema = z.object({
  team: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'a team name').optional(),
  state: z.enum(JOB_STATES).optional(),
  cluster: safe('cluster').optional(),
  /** `key=value`; repeat the parameter for several labels (all must match). */
  label: z
    .union([safe('label').regex(/^[^=]+=/, 'key=value'), z.array(safe('label').regex(/^[^=]+=/, 'key=value')).max(20)])
    .optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  pageSize: z.coerce.number().int().min(1).max(1000).default(50),
  pageToken: z.string().regex(/^[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{16}$/, 'the nextPageToken of an earlier page').optional(),
});

export const jobSummarySchema = z
  .object({
    jobId: z.string(),
    name: z.string().optional(),
    team: z.string().optional(),
    state: z.string().optional(),
    cluster: z.string().optional(),
    clusterName: z.string().optional(),
    attempt: z.number().optional(),
    requestedBy: z.string().optional(),
    startedAt: z.string().optional(),
    closedAt: z.string().optional(),
  })
  .meta({ id: 'JobSummary' });

export const jobPageSchema = z
  .object({ jobs: z.array(jobSummarySchema), nextPageToken: z.string().optional() })
  .meta({ id: 'JobPage' });

/** Strict: an unknown field (a misspelt `reasn`) is a 422 naming it, not silently dropped. */
export const cancelBodySchema = z
  .strictObject({
    reason: z.string().max(1000).optional(),
    /** A retry with the same id is the same request and gets the first answer. Default: the Idempotency-Key or X-Request-Id header, else a new one. */
    requestId: z.string().regex(/^[\x21-\x7e]{1,200}$/, '1-200 printable ASCII characters, no spaces').optional(),
  })
  .meta({ id: 'CancelRequestBody' });

export const cancelResultSchema = z
  .object({ accepted: z.boolean(), state: jobStateSchema, message: z.string(), requestId: z.string() })
  .meta({ id: 'CancelResult' });

/** The longest `timeout` a caller may ask for; the API holds a wait at most api.maxWaitSeconds (clamped, not refused). */
export const MAX_WAIT_TIMEOUT_SECONDS = 3600;

/**
 * The wait's query. A timeout above the config's api.maxWaitSeconds is held only that long (a long poll
 * may answer early: callers check `state` and ask again), so clients written for one deployment work with another.
 */
export function waitQuerySchema(maxWaitSeconds: number) {
  return z.object({
    timeout: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_TIMEOUT_SECONDS)
      .default(60)
      .describe(`seconds to hold the request before answering with the current status; this API holds it at most ${maxWaitSeconds} s (api.maxWaitSeconds)`),
  });
}

export const logQuerySchema = z.object({
  attempt: z.coerce.number().int().min(1).max(1000).optional(),
  // The readJobLog workflow reads at most 1000 entries at once (workflows/batchLog.ts).
  size: z.coerce.number().int().min(1).max(1000).default(100).describe('entries to read: the last ones, or from `from` on'),
  from: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .describe("Livy's entry index to start at (the log's stdout and stderr markers count as entries); default: the last `size` entries"),
});

/**
 * One Server-Sent Event of a log follow, as an event-stream reader parses it (OpenAPI 3.1 tools read
 * an event stream's schema as each event's): `data` is JSON text.
 */
export const logStreamEventSchema = z
  .object({
    event: z.enum(['log', 'end', 'error']),
    data: z.string().describe('JSON: {"attempt": n, "lines": [...]} for log, {"state": "<final state>"} for end, {"detail": "..."} for error'),
    id: z.string().optional(),
    retry: z.number().int().min(0).optional(),
  })
  .meta({ id: 'LogStreamEvent' });

export const followQuerySchema = z.object({ attempt: z.coerce.number().int().min(1).max(1000).optional() });

export const logChunkSchema = z
  .object({
    source: z.enum(['livy', 'shale']),
    /** Absent before the job's first attempt (no log yet). */
    attempt: z.number().int().optional(),
    lines: z.array(z.string()),
    note: z.string().optional(),
  })
  .meta({ id: 'LogChunk' });

export const auditEntrySchema = z
  .object({
    at: z.string(),
    event: z.enum([
      'earlier-run',
      'submitted',
      'state',
      'routed',
      'batch-submitted',
      'batch-state',
      'batch-killed',
      'batch-reconciled',
      'activity-failed',
      'attempt-ended',
      'retry',
      'cancel-requested',
      'continued-as-new',
      'ended',
    ]),
    actor: z.string(),
    attempt: z.number().int().optional(),
    summary: z.string(),
    details: z.record(z.string(), z.unknown()),
    runId: z.string(),
    eventId: z.number().int(),
  })
  .meta({ id: 'AuditEntry' });

export const auditAnswerSchema = z.object({ entries: z.array(auditEntrySchema) }).meta({ id: 'AuditTimeline' });

export const healthSchema = z.object({ status: z.enum(['ok', 'unavailable']), detail: z.string().optional() }).meta({ id: 'Health' });

// Compile-time: these schemas and the client's interfaces agree exactly.
const agree = {
  audit: true satisfies SameType<z.infer<typeof auditEntrySchema>, AuditEntry>,
  summary: true satisfies SameType<z.infer<typeof jobSummarySchema>, JobSummary>,
  // The API's chunk also stands for "no attempt yet" (attempt absent): every LogChunk fits it, with the same fields.
  log: true satisfies (LogChunk extends z.infer<typeof logChunkSchema> ? true : false),
  logFields: true satisfies SameType<keyof LogChunk, keyof z.infer<typeof logChunkSchema>>,
};
void agree;
