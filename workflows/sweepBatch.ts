/**
 * sweepBatch: kills an attempt that could not be fenced when the job moved on (its cluster did not
 * answer), the moment the cluster answers again. It finds the batch by name on Livy, or by tag on
 * YARN, never by anything remembered in a worker's memory, and outlives the job that started it.
 */
import { ApplicationFailure, log } from '@temporalio/workflow';
import type { KillResult, SweepBatchInput } from '../contract';
import { ErrorType } from '../contract/errors';
import { sweeping } from './activityStubs';

export async function sweepBatch(input: SweepBatchInput): Promise<KillResult> {
  const ref = input?.ref;
  if (typeof input?.jobId !== 'string' || typeof ref?.cluster !== 'string' || typeof ref?.batchName !== 'string') {
    throw ApplicationFailure.create({ type: ErrorType.InvalidSpec, message: 'sweepBatch needs { jobId, ref: { cluster, batchName } }', nonRetryable: true });
  }
  log.info('sweep.started', { event: 'sweep.started', jobId: input.jobId, cluster: ref.cluster, batchName: ref.batchName, reason: input.reason });
  const killed = await sweeping.killBatch({ cluster: ref.cluster, batchName: ref.batchName });
  log.info('sweep.finished', { event: 'sweep.finished', jobId: input.jobId, cluster: ref.cluster, batchName: ref.batchName, ...killed, log: undefined });
  return killed;
}
