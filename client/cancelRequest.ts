/**
 * What makes `ShaleClient.cancel` idempotent end to end: one Update ID per cancel request (so
 * Temporal dedups a retry and hands back the first answer), which errors are worth another try,
 * and how long to wait between tries.
 */
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/** How long a cancel keeps trying (transient errors, a run that ended or continued as new) by default. */
export const DEFAULT_CANCEL_TIMEOUT_MS = 30_000;

/** How long the Update is tried when no worker was seen polling, before the cancel is left as a signal. */
export const NO_WORKER_UPDATE_TRY_MS = 3_000;

/** A worker that polls re-polls at least every ~70 s; one not seen for longer is gone. */
export const POLLER_SEEN_WITHIN_MS = 90_000;

/**
 * The Update ID for one cancel request. Temporal keeps an Update's outcome with the run (also after it
 * closed), so sending the same request again, from this process or another, returns the first answer
 * instead of making a second request.
 */
export function cancelUpdateId(requestId: string): string {
  return `shale-cancel:${requestId}`;
}

/**
 * gRPC status codes a retry can cure: the server was busy, restarting, or slower than one call's
 * deadline. (Numbers from the gRPC spec; @grpc/grpc-js is not a direct dependency of ours.)
 */
export const GRPC = { DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, ABORTED: 10, UNAVAILABLE: 14 } as const;
const TRANSIENT_CODES: ReadonlySet<number> = new Set(Object.values(GRPC));

/**
 * True when the error (or any cause under it: the SDK wraps gRPC errors in ServiceError) says "try
 * again": Unavailable, DeadlineExceeded, ResourceExhausted, Aborted, or an Update call that timed out.
 */
export function isTransientError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(e) && TRANSIENT_CODES.has(e.code)) return true;
  }
  return false;
}

/** Exponential backoff with full jitter: 100 ms, 200 ms, … capped at 2 s. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(2_000, 100 * 2 ** attempt));
}
