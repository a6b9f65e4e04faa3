/**
 * `shale logs`: an attempt's Livy log, read by a worker (the readJobLog workflow on the job's task
 * queue), so Livy's address and credential never reach the operator's machine; once Livy has
 * forgotten the batch, the tail Shale kept on the job. `--follow` re-reads Livy's whole buffer
 * every couple of seconds and shows only the lines it had not shown (logFollower.ts).
 */
import type { Client } from '@temporalio/client';
import { isTerminalJobState, type AttemptRecord, type JobStatus } from '../contract';
import { LogFollower, type SectionRead } from './logFollower';

/** The workflow type the worker registers (workflows/batchLog.ts). */
export const READ_JOB_LOG_WORKFLOW = 'readJobLog';

/** What readJobLog answers (activities/logActivities.ts). */
interface JobLogRead {
  found: boolean;
  from: number;
  total: number;
  sections: SectionRead[];
  lines: string[];
}

export interface LogChunk {
  /** 'livy': read from Livy through a worker; 'shale': the tail Shale kept on the job. */
  source: 'livy' | 'shale';
  attempt: number;
  lines: string[];
  /** Why the lines come from Shale's tail when Livy could not be read. */
  note?: string;
}

export interface LogOptions {
  attempt?: number;
  /** Lines from the end of Livy's log for a one-off read (default 100); with `from`, entries from there. */
  lines?: number;
  /** Livy's entry index to start a one-off read at (its stdout/stderr markers count as entries); default: the last `lines`. */
  from?: number;
}

/** What reading needs from a ShaleClient: its Temporal client. */
export interface LogReaderClient {
  readonly temporal: Client;
}

/** How long one read may take before the caller falls back to Shale's tail (no worker, Livy down). */
const READ_TIMEOUT = '45 seconds';

export function pickAttempt(status: JobStatus, n?: number): AttemptRecord | undefined {
  return n === undefined ? status.attempts.at(-1) : status.attempts.find((a) => a.n === n);
}

/** Starts readJobLog on the job's own task queue and waits for its answer. */
async function readThroughWorker(client: LogReaderClient, jobId: string, attempt: AttemptRecord, page: { from?: number; size?: number }): Promise<JobLogRead> {
  const { taskQueue } = await client.temporal.workflow.getHandle(jobId).describe();
  return client.temporal.workflow.execute(READ_JOB_LOG_WORKFLOW, {
    taskQueue,
    workflowId: `${jobId}-log-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    workflowExecutionTimeout: READ_TIMEOUT,
    args: [{ cluster: attempt.cluster, batchName: attempt.batchName, ...page }],
  }) as Promise<JobLogRead>;
}

function keptTail(status: JobStatus, attempt: AttemptRecord): string[] {
  // Shale keeps the tail of the latest attempt only.
  return attempt === status.attempts.at(-1) ? status.logTail : [];
}

/** Reads the attempt's log once: Livy's (through a worker) while Livy holds the batch, else Shale's tail. */
export async function readLog(client: LogReaderClient, status: JobStatus, options: LogOptions = {}): Promise<LogChunk | undefined> {
  const attempt = pickAttempt(status, options.attempt);
  if (!attempt) return undefined;
  const shale = (note?: string): LogChunk => ({ source: 'shale', attempt: attempt.n, lines: keptTail(status, attempt), ...(note ? { note } : {}) });
  if (!attempt.cluster) return shale();
  try {
    const read = await readThroughWorker(client, status.jobId, attempt, { ...(options.from !== undefined ? { from: options.from } : {}), size: options.lines ?? 100 });
    return read.found ? { source: 'livy', attempt: attempt.n, lines: read.lines } : shale();
  } catch (err) {
    return shale(`Livy's log could not be read through a worker: ${(err as Error).message}`);
  }
}

/** Follows the log until the job ends, calling `emit` with each batch of lines not shown before. */
export async function followLog(
  client: LogReaderClient,
  fetchStatus: () => Promise<JobStatus>,
  options: LogOptions,
  emit: (chunk: LogChunk) => void,
  intervalMs = 2_000,
): Promise<JobStatus> {
  let following: { attempt: number; follower: LogFollower } | undefined;
  for (;;) {
    const status = await fetchStatus();
    const attempt = pickAttempt(status, options.attempt);
    if (attempt) {
      // A new attempt is a new batch with a log of its own.
      if (following?.attempt !== attempt.n) following = { attempt: attempt.n, follower: new LogFollower() };
      const chunk = await readNewLines(client, status, attempt, following.follower);
      if (chunk && chunk.lines.length > 0) emit(chunk);
    }
    if (isTerminalJobState(status.state)) return status;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function readNewLines(client: LogReaderClient, status: JobStatus, attempt: AttemptRecord, follower: LogFollower): Promise<LogChunk | undefined> {
  let read: JobLogRead | undefined;
  if (attempt.cluster) {
    try {
      read = await readThroughWorker(client, status.jobId, attempt, {});
    } catch {
      // Livy or the workers are not answering now: try again next round (the job's end still shows Shale's tail).
      if (!isTerminalJobState(status.state)) return undefined;
    }
  }
  if (read?.found) return { source: 'livy', attempt: attempt.n, lines: follower.next(read.sections) };
  // Livy no longer holds the batch: what Shale kept, joined to what was shown.
  return { source: 'shale', attempt: attempt.n, lines: follower.next([{ lines: keptTail(status, attempt) }]) };
}
