/** Turns what an activity threw, or what a batch ended as, into Shale's failure classes (rule 3). */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { JobError } from '../contract';
import { classifyFailure, ErrorType } from '../contract/errors';
// Livy's section markers (LIVY.md) are entries of their own, never the app's lines.
import { isLogMarker } from '../contract/livyLog';

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

/** The app's own lines: no section marker, no blank line. */
function appLines(log: readonly string[]): string[] {
  return log.filter((line) => !isLogMarker(line) && line.trim() !== '');
}

export function jobErrorForFinishedBatch(state: string, log: readonly string[]): JobError | undefined {
  if (state === 'success') return undefined;
  const lines = appLines(log);
  // The last line that says why, else the app's last real line (it may have exited without a word).
  const reason = [...lines].reverse().find((line) => /diagnostics|exception|error/i.test(line)) ?? lines.at(-1) ?? '';
  if (state === 'killed') {
    return { type: 'BatchKilled', class: 'fatal', message: 'the batch was killed outside Shale' };
  }
  if (INFRA_DEAD_MARKERS.some((marker) => lines.some((line) => marker.test(line)))) {
    return { type: ErrorType.BatchLost, class: 'infra', message: `Livy lost track of the app: ${reason}`.trim() };
  }
  return { type: ErrorType.AppFailed, class: 'app', message: `the Spark app ended ${state}${reason ? `: ${reason}` : ''}` };
}
