/** Turns what an activity threw, or what a batch ended as, into Shale's failure classes (rule 3). */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { JobError } from '../contract';
import { classifyFailure, ErrorType } from '../contract/errors';

export function jobErrorFrom(err: unknown): JobError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? 'Error';
    return { type, class: classifyFailure(type), message: cause.message };
  }
  if (cause instanceof TimeoutFailure) {
    // The activity ran out of time on every try: Livy or the network is not answering.
    return { type: ErrorType.LivyUnreachable, class: 'infra', message: `activity timed out (${cause.timeoutType})` };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { type: 'Error', class: 'fatal', message };
}

/** Livy's YARN monitor also reports `dead` when it cannot find the app: that is the cluster's fault. */
const INFRA_DEAD_MARKERS = [/No YARN application is found with tag/i, /ResourceManager.*(unreachable|connection refused)/i];

export function jobErrorForFinishedBatch(state: string, log: readonly string[]): JobError | undefined {
  if (state === 'success') return undefined;
  const diagnostics = [...log].reverse().find((line) => /diagnostics|exception|error/i.test(line)) ?? log.at(-1) ?? '';
  if (state === 'killed') {
    return { type: 'BatchKilled', class: 'fatal', message: 'the batch was killed outside Shale' };
  }
  if (INFRA_DEAD_MARKERS.some((marker) => log.some((line) => marker.test(line)))) {
    return { type: ErrorType.BatchLost, class: 'infra', message: `Livy lost track of the app: ${diagnostics}`.trim() };
  }
  return { type: ErrorType.AppFailed, class: 'app', message: `the Spark app ended ${state}${diagnostics ? `: ${diagnostics}` : ''}` };
}
