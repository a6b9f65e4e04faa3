/** Errors a Shale caller can act on: each names exactly what is wrong. */
import { formatFieldErrors, type FieldError } from '../contract';

export class InvalidSpecError extends Error {
  override readonly name = 'InvalidSpecError';
  constructor(readonly errors: FieldError[]) {
    super(`invalid job spec: ${formatFieldErrors(errors)}`);
  }
}

export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor(
    readonly jobId: string,
    readonly differingFields: string[],
  ) {
    super(
      `idempotency key already used for job ${jobId} with a different spec (differs in: ${differingFields.join(', ')}); ` +
        'use a new key, or resubmit the same spec',
    );
  }
}

export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';
  constructor(readonly jobId: string) {
    super(`no job ${jobId}`);
  }
}

/** A cancel whose arguments the workflow would refuse (e.g. a reason over its length limit). */
export class InvalidCancelError extends Error {
  override readonly name = 'InvalidCancelError';
  constructor(readonly problem: string) {
    super(`invalid cancel request: ${problem}`);
  }
}

/**
 * The cancel was sent but no answer came back in time (Temporal unreachable or overloaded). It may
 * still have been applied: sending it again with the same request id is safe and gets the first answer.
 */
export class CancelNotConfirmedError extends Error {
  override readonly name = 'CancelNotConfirmedError';
  constructor(
    readonly jobId: string,
    readonly requestId: string,
    readonly timeoutMs: number,
    override readonly cause: unknown,
  ) {
    super(
      `the cancel of job ${jobId} was not confirmed within ${Math.round(timeoutMs / 1000)} s ` +
        `(${cause instanceof Error ? cause.message : String(cause)}); it may still take effect: ` +
        `retry with the same request id (shale cancel ${jobId} --request-id ${requestId}), which is safe`,
    );
  }
}

/** `rerun` of a job whose latest run is still going, or ended SUCCEEDED: there is nothing to run again. */
export class RerunNotAllowedError extends Error {
  override readonly name = 'RerunNotAllowedError';
  constructor(
    readonly jobId: string,
    /** The latest run's state (RUNNING-like states while it runs). */
    readonly state: string,
  ) {
    super(
      state === 'SUCCEEDED'
        ? `job ${jobId} ended SUCCEEDED; only a job whose latest run ended FAILED, CANCELLED or TIMED_OUT can be rerun`
        : `job ${jobId} is still running (${state}); only a job whose latest run ended FAILED, CANCELLED or TIMED_OUT can be rerun`,
    );
  }
}
