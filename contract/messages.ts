/**
 * Signals, queries and updates of the sparkJob workflow: the names every client uses, and the
 * checks every handler applies to what it is sent. Plain code (no zod): it runs in every workflow.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelAnswer, CancelRequest, JobStatus } from './status';

export interface CancelArgs {
  reason?: string;
  requestedBy?: string;
  /** The caller's own id for this request: a retry with the same id is the same request. */
  requestId?: string;
}

export const WORKFLOW_TYPE = 'sparkJob';

/** Fire-and-forget cancel: `temporal workflow signal --name cancel --input '{"reason":"..."}'`. */
export const cancelSignal = defineSignal<[CancelArgs]>('cancel');
/** Cancel that answers with the job's state when the request was accepted. */
export const requestCancelUpdate = defineUpdate<CancelAnswer, [CancelArgs]>('requestCancel');
export const statusQuery = defineQuery<JobStatus>('status');

/**
 * How a job's end shows in Temporal: SUCCEEDED completes the workflow with the status; FAILED and
 * TIMED_OUT fail it with a non-retryable ApplicationFailure of these types (message: the reason;
 * details: [the full JobStatus]); CANCELLED ends it Canceled. A Canceled close event carries no
 * details (the SDK's cancel command has none), so the cancelled job's status is also kept in the
 * memo under JOB_STATUS_MEMO_KEY, where clients read it.
 */
export const JOB_END_FAILURE_TYPES = { FAILED: 'JobFailed', TIMED_OUT: 'JobTimedOut' } as const;
export const JOB_STATUS_MEMO_KEY = 'finalStatus';

export const CANCEL_LIMITS = { reason: 1000, requestedBy: 200, requestId: 200 } as const;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * What a cancel may carry: no payload, or an object with string `reason`, `requestedBy`, `requestId`
 * within their limits. Anything else is refused with the field named, so a bad payload can never
 * reach the workflow's state (an Update is rejected before it is written to history; a signal is
 * ignored with a log line).
 */
export function checkCancelArgs(args: unknown): Checked<CancelArgs> {
  // No payload at all (`temporal workflow signal --name cancel` without --input) is a cancel without a
  // reason; an explicit null is not an object, and is refused like any other non-object.
  if (args === undefined) return { ok: true, value: {} };
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return { ok: false, error: `cancel arguments must be an object, got ${kindOf(args)}` };
  const value: CancelArgs = {};
  for (const key of Object.keys(args)) {
    if (!(key in CANCEL_LIMITS)) return { ok: false, error: `${key}: unknown field (expected reason, requestedBy, requestId)` };
    const field = key as keyof typeof CANCEL_LIMITS;
    let v: unknown;
    try {
      v = (args as Record<string, unknown>)[key];
    } catch {
      return { ok: false, error: `${key}: could not be read` };
    }
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return { ok: false, error: `${key}: must be a string, got ${kindOf(v)}` };
    if (v.length > CANCEL_LIMITS[field]) return { ok: false, error: `${key}: longer than ${CANCEL_LIMITS[field]} characters` };
    value[field] = v;
  }
  return { ok: true, value };
}

/** The status query takes no arguments; tools that send `null` or `{}` are let through. */
export function checkNoArgs(args: unknown[]): Checked<undefined> {
  const extra = args.filter((a) => !(a === undefined || a === null || (typeof a === 'object' && !Array.isArray(a) && Object.keys(a).length === 0)));
  return extra.length ? { ok: false, error: `the query takes no arguments, got ${extra.map(kindOf).join(', ')}` } : { ok: true, value: undefined };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** How a cancel is told as a reason: on the cancelled attempt, the Canceled close and the next run's record of it. */
export function cancelledBy(cancel: Pick<CancelRequest, 'requestedBy' | 'reason'>): string {
  return `cancelled by ${cancel.requestedBy}: ${cancel.reason}`;
}
