/** Converts errors thrown inside activities into Temporal failures with Shale's error types. */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../contract';
import { ClusterLostError } from './clusters/cluster';
import { BatchLostError } from './livy/batchWatcher';
import { LivyError } from './livy/errors';

export function toFailure(err: unknown, options: { nonRetryable?: boolean } = {}): unknown {
  if (err instanceof LivyError) {
    return ApplicationFailure.create({ type: err.errorType, message: err.message, nonRetryable: options.nonRetryable });
  }
  if (err instanceof ClusterLostError) {
    return ApplicationFailure.create({ type: ErrorType.ClusterLost, message: err.message, nonRetryable: true });
  }
  if (err instanceof BatchLostError) {
    return ApplicationFailure.create({ type: ErrorType.BatchLost, message: err.message, nonRetryable: true });
  }
  return err;
}

export async function translatingErrors<T>(work: () => Promise<T>, options?: { nonRetryable?: boolean }): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toFailure(err, options);
  }
}
