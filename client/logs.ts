/**
 * `shale logs`: Livy's log of an attempt's batch while Livy still holds it (read straight from
 * Livy, checking the batch is ours by name), else the tail Shale kept on the job.
 */
import { request } from 'undici';
import { isTerminalJobState, type AttemptRecord, type JobStatus } from '../contract';

export interface LogChunk {
  source: 'livy' | 'shale';
  attempt: number;
  lines: string[];
  /** Livy's line count, to ask only for new lines next time. */
  total?: number;
}

export interface LogOptions {
  attempt?: number;
  /** Authorization header value for Livy, if it needs one (never stored or printed). */
  livyAuth?: string;
  lines?: number;
}

export function pickAttempt(status: JobStatus, n?: number): AttemptRecord | undefined {
  return n === undefined ? status.attempts.at(-1) : status.attempts.find((a) => a.n === n);
}

async function livyGet<T>(url: string, auth?: string): Promise<T | undefined> {
  try {
    const res = await request(url, {
      headers: { 'x-requested-by': 'shale-cli', ...(auth ? { authorization: auth } : {}) },
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return undefined;
    }
    return (await res.body.json()) as T;
  } catch {
    return undefined; // Livy unreachable: fall back to Shale's tail
  }
}

/** Reads the attempt's log: from Livy if it still has the batch (same id and name), else Shale's tail. */
export async function readLog(status: JobStatus, options: LogOptions = {}, from?: number): Promise<LogChunk | undefined> {
  const attempt = pickAttempt(status, options.attempt);
  if (!attempt) return undefined;
  if (attempt.livyUrl && attempt.batchId !== undefined) {
    const base = attempt.livyUrl.replace(/\/+$/, '');
    const batch = await livyGet<{ name?: string }>(`${base}/batches/${attempt.batchId}`, options.livyAuth);
    if (batch?.name === attempt.batchName) {
      const size = options.lines ?? 100;
      const query = from === undefined ? `size=${size}` : `from=${from}&size=${size}`;
      const log = await livyGet<{ log: string[]; total: number }>(`${base}/batches/${attempt.batchId}/log?${query}`, options.livyAuth);
      if (log) return { source: 'livy', attempt: attempt.n, lines: log.log, total: log.total };
    }
  }
  const isLast = attempt === status.attempts.at(-1);
  return { source: 'shale', attempt: attempt.n, lines: isLast ? status.logTail : [] };
}

/** Follows the log until the job ends, calling `emit` with each new batch of lines. */
export async function followLog(
  fetchStatus: () => Promise<JobStatus>,
  options: LogOptions,
  emit: (chunk: LogChunk) => void,
  intervalMs = 2_000,
): Promise<JobStatus> {
  let seen: { attempt: number; total: number; tail: string[] } | undefined;
  for (;;) {
    const status = await fetchStatus();
    const current = pickAttempt(status, options.attempt);
    if (current && seen && current.n !== seen.attempt) seen = undefined; // a new attempt: start over
    const chunk = await readLog(status, options, seen?.total);
    if (chunk) {
      const fresh =
        chunk.source === 'livy' ? chunk.lines : chunk.lines.slice(overlap(seen?.tail ?? [], chunk.lines));
      if (fresh.length) emit({ ...chunk, lines: fresh });
      // Remember what was shown, so Shale's kept tail does not repeat Livy's lines once Livy forgets the batch.
      seen = { attempt: chunk.attempt, total: chunk.total ?? seen?.total ?? 0, tail: [...(seen?.tail ?? []), ...fresh].slice(-200) };
    }
    if (isTerminalJobState(status.state)) return status;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** How many leading lines of `next` were already shown at the end of `previous`. */
function overlap(previous: string[], next: string[]): number {
  for (let n = Math.min(previous.length, next.length); n > 0; n--) {
    if (previous.slice(-n).join('\n') === next.slice(0, n).join('\n')) return n;
  }
  return 0;
}
