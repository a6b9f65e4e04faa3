/** The log of batch API requests, so tests can count POSTs and DELETEs per batch name. */
import type { RequestLogEntry, RequestLogFilter } from './types.js';

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  add(entry: RequestLogEntry): void {
    this.entries.push({ ...entry });
  }

  /** Entries in the order they were handled (a held-back POST answer is logged before it is sent); `method` matches case-insensitively, `name` the batch name. */
  list(filter: RequestLogFilter = {}): RequestLogEntry[] {
    const method = filter.method?.toUpperCase();
    return this.entries
      .filter((e) => (method === undefined || e.method === method) && (filter.name === undefined || e.batchName === filter.name))
      .map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}
