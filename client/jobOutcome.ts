/**
 * A job's final status from its workflow's end. SUCCEEDED completes the workflow with the status as
 * its result; FAILED and TIMED_OUT fail it with the status in the failure's details; CANCELLED ends
 * it Canceled with the status in the memo (a Canceled close event carries no details). Older runs
 * (release 0.2.0 and before) completed every end with the status as the result.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { JOB_END_FAILURE_TYPES, JOB_STATUS_MEMO_KEY, type JobStatus } from '../contract';

const END_TYPES: ReadonlySet<string> = new Set(Object.values(JOB_END_FAILURE_TYPES));

function looksLikeStatus(value: unknown): value is JobStatus {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<JobStatus>;
  return typeof v.jobId === 'string' && typeof v.state === 'string' && Array.isArray(v.attempts);
}

/** The JobStatus a failed or cancelled run's error carries, or undefined if it carries none. */
export function statusFromWorkflowError(err: unknown): JobStatus | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  const endOfJob = (cause instanceof ApplicationFailure && !!cause.type && END_TYPES.has(cause.type)) || cause instanceof CancelledFailure;
  if (!endOfJob) return undefined;
  const details = cause.details?.[0];
  return looksLikeStatus(details) ? details : undefined;
}

/** The status a cancelled run keeps in its memo. */
export function statusFromMemo(memo: Record<string, unknown> | undefined): JobStatus | undefined {
  const value = memo?.[JOB_STATUS_MEMO_KEY];
  return looksLikeStatus(value) ? value : undefined;
}

/**
 * Awaits a run's result and returns the job's final status whichever way it ended; rethrows an end
 * that carries no status (an invalid spec, a terminated workflow). `memo` reads a Canceled run's memo.
 */
export async function jobOutcome(result: Promise<unknown>, memo?: () => Promise<Record<string, unknown> | undefined>): Promise<JobStatus> {
  try {
    return (await result) as JobStatus;
  } catch (err) {
    const status = statusFromWorkflowError(err) ?? (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure && memo ? statusFromMemo(await memo()) : undefined);
    if (status) return status;
    throw err;
  }
}
