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
