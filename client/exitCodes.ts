/** The CLI's exit codes (documented in the README): scripts and Airflow tasks branch on them. */
import type { JobState } from '../contract';

export const ExitCode = {
  Ok: 0,
  JobFailed: 1,
  Usage: 2,
  JobCancelled: 3,
  NotFound: 4,
  JobTimedOut: 5,
  Conflict: 6,
  Unavailable: 10,
} as const;

export function exitCodeForState(state: JobState): number {
  switch (state) {
    case 'SUCCEEDED':
      return ExitCode.Ok;
    case 'CANCELLED':
      return ExitCode.JobCancelled;
    case 'TIMED_OUT':
      return ExitCode.JobTimedOut;
    case 'FAILED':
      return ExitCode.JobFailed;
    default:
      return ExitCode.Ok; // still running: the command itself succeeded
  }
}
