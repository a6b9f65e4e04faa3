/**
 * zod schemas of the job's status and of a cancel's answer, mirroring the interfaces in status.ts,
 * for the HTTP API (response validation and the OpenAPI document). The compile-time checks at the
 * end make the schemas and the interfaces agree exactly, so neither can drift from the other.
 *
 * Not re-exported from index.ts: the workflow bundle imports the contract's index, and these
 * schemas have no business in the workflow sandbox.
 */
import { z } from 'zod';
import { JOB_STATES } from './states';
import type { AttemptRecord, CancelAnswer, CancelRequest, JobError, JobStatus, RunSummary } from './status';

export const jobStateSchema = z.enum(JOB_STATES).meta({ id: 'JobState' });

export const attemptRecordSchema = z
  .object({
    n: z.number().int(),
    batchName: z.string(),
    cluster: z.string().optional(),
    clusterName: z.string().optional(),
    livyUrl: z.string().optional(),
    routeReason: z.string().optional(),
    batchId: z.number().int().optional(),
    batchState: z.string().optional(),
    appId: z.string().optional(),
    sparkUiUrl: z.string().optional(),
    driverLogUrl: z.string().optional(),
    adopted: z.boolean().optional(),
    submittedAt: z.string().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    outcome: z.enum(['SUCCEEDED', 'APP_FAILED', 'INFRA_FAILED', 'FATAL', 'CANCELLED', 'TIMED_OUT']).optional(),
    reason: z.string().optional(),
    source: z.enum(['livy', 'yarn']).optional(),
    fence: z.string().optional(),
  })
  .meta({ id: 'AttemptRecord' });

export const cancelRequestSchema = z
  .object({
    requestedBy: z.string(),
    reason: z.string(),
    at: z.string(),
    via: z.enum(['signal', 'update', 'workflow-cancel']),
    requestId: z.string().optional(),
    stateAtAcceptance: z.string().optional(),
  })
  .meta({ id: 'CancelRequest' });

export const jobErrorSchema = z
  .object({
    type: z.string(),
    class: z.enum(['app', 'infra', 'fatal']),
    message: z.string(),
  })
  .meta({ id: 'JobError' });

export const runSummarySchema = z
  .object({
    run: z.number().int(),
    runId: z.string(),
    state: jobStateSchema,
    reason: z.string().optional(),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    attempts: z.number().int(),
    lastAttempt: z.number().int(),
  })
  .meta({ id: 'RunSummary' });

export const jobStatusSchema = z
  .object({
    jobId: z.string(),
    name: z.string(),
    team: z.string(),
    kind: z.enum(['pyspark', 'jar', 'sql']),
    state: jobStateSchema,
    requestedBy: z.string().optional(),
    labels: z.record(z.string(), z.string()),
    fingerprint: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().optional(),
    attempts: z.array(attemptRecordSchema),
    budgets: z.object({ appFailures: z.number(), appRetries: z.number(), infraFailures: z.number(), infraRetries: z.number() }),
    lostClusters: z.array(z.string()).optional(),
    nextAttemptAt: z.string().optional(),
    cancel: cancelRequestSchema.optional(),
    lastError: jobErrorSchema.optional(),
    logTail: z.array(z.string()),
    run: z.number().int().optional(),
    previousRuns: z.array(runSummarySchema).optional(),
    note: z.string().optional(),
  })
  .meta({ id: 'JobStatus' });

export const cancelAnswerSchema = z
  .object({
    accepted: z.boolean(),
    state: jobStateSchema,
    message: z.string(),
  })
  .meta({ id: 'CancelAnswer' });

/** True only when A and B are the same type (each assignable to the other, optional fields alike). */
export type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Compile-time: a field added to (or changed in) an interface without its schema, or the reverse, fails `tsc`.
const agree = {
  attempt: true satisfies SameType<z.infer<typeof attemptRecordSchema>, AttemptRecord>,
  cancelRequest: true satisfies SameType<z.infer<typeof cancelRequestSchema>, CancelRequest>,
  jobError: true satisfies SameType<z.infer<typeof jobErrorSchema>, JobError>,
  runSummary: true satisfies SameType<z.infer<typeof runSummarySchema>, RunSummary>,
  status: true satisfies SameType<z.infer<typeof jobStatusSchema>, JobStatus>,
  cancelAnswer: true satisfies SameType<z.infer<typeof cancelAnswerSchema>, CancelAnswer>,
};
void agree;
