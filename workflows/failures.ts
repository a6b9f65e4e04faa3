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

/**
 * Spark's own log4j lines below ERROR (`26/11/27 21:48:07 INFO ShutdownHookManager: Deleting directory ...`):
 * on a real Livy they follow the app's last words in the same section (batch mode merges stderr into
 * stdout), so they are the driver's chatter, never the reason an app failed.
 */
const SPARK_CHATTER = /^\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} (TRACE|DEBUG|INFO|WARN) /;

/** The app's own lines: no section marker, no blank line, no Spark INFO/WARN logging. */
function appLines(log: readonly string[]): string[] {
  return log.filter((line) => !isLogMarker(line) && line.trim() !== '' && !SPARK_CHATTER.test(line));
}

export function jobErrorForFinishedBatch(state: string, log: readonly string[]): JobError | undefined {
  if (state === 'success') return undefined;
  const lines = appLines(log);
  // The last line that says why; else the app exited non-zero without an error line (LIVY.md), and its last line is context.
  const why = [...lines].reverse().find((line) => /diagnostics|exception|error/i.test(line));
  const reason = why ?? (lines.length > 0 ? `exited without an error message; its last line: ${lines.at(-1)}` : 'exited without an error message');
  if (state === 'killed') {
    return { type: 'BatchKilled', class: 'fatal', message: 'the batch was killed outside Shale' };
  }
  if (INFRA_DEAD_MARKERS.some((marker) => lines.some((line) => marker.test(line)))) {
    return { type: ErrorType.BatchLost, class: 'infra', message: `Livy lost track of the app: ${reason}`.trim() };
  }
  return { type: ErrorType.AppFailed, class: 'app', message: `the Spark app ended ${state}: ${reason}` };
}
