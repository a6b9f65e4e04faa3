/**
 * Livy's batch log as GET /batches/{id}/log pages through it (LIVY.md): the stdout marker, the
 * last 200 lines of stdout, the stderr marker, the last 200 lines of stderr. Each section is a
 * circular buffer, so once full the total stays at 202 and every index shifts as lines arrive.
 */

export const STDOUT_MARKER = 'stdout: ';
export const STDERR_MARKER = '\nstderr: ';

/** Lines each log section holds (Livy's LineBufferedStream keeps the last 200 of each stream). */
export const LOG_SECTION_LINES = 200;

/**
 * The log entries for an app that has printed `stdoutCount` numbered lines (line(1) … line(n))
 * and the given stderr lines.
 */
export function livyLogEntries(stdoutCount: number, line: (n: number) => string, stderr: readonly string[]): string[] {
  const entries = [STDOUT_MARKER];
  for (let n = Math.max(1, stdoutCount - LOG_SECTION_LINES + 1); n <= stdoutCount; n += 1) entries.push(line(n));
  entries.push(STDERR_MARKER, ...stderr.slice(-LOG_SECTION_LINES));
  return entries;
}
