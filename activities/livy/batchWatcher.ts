/**
 * One watcher per Livy endpoint serves every waiting activity in the worker: it lists all batches
 * once per poll interval (paged), so Livy sees a handful of requests per interval whatever the
 * number of jobs, and wakes each waiter whose batch changed state.
 *
 * What goes wrong with the endpoint (unreachable, 5xx, a 4xx on the listing, a timeout, an answer
 * that is not Livy's) is the endpoint's health, never a waiter's failure: the watcher backs off,
 * logs the start and the end of each failure streak and keeps polling, and the wait activity
 * reads endpointHealth() to decide when an outage has lasted too long. A waiter is rejected only
 * on evidence about its own batch: a direct look-up by its name answered 404.
 */
import type { BatchSnapshot } from '../../contract';
import type { LivyClients, LivyClient } from './client';
import { toSnapshot } from './snapshot';
import type { LivyBatch } from './types';

/** The part of a pino logger the watcher uses. */
export interface WatcherLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface EndpointHealth {
  /** When the current failure streak began (epoch ms); undefined while the endpoint answers. */
  unreachableSinceMs?: number;
  consecutiveFailures: number;
  lastError?: string;
}

export interface WatcherOptions {
  pollIntervalMs: number;
  /** The longest pause between polls while the endpoint fails; the pause doubles up to it. Default 8 poll intervals, at most 30 s. */
  maxBackoffMs?: number;
  pageSize?: number;
  /** One line when a failure streak starts (warn) and one when the endpoint answers again (info). */
  logger?: WatcherLogger;
  /** Called on every failed poll, e.g. for metrics. */
  onEndpointError?: (livyUrl: string, health: EndpointHealth, err: Error) => void;
}

interface Waiter {
  batchName: string;
  knownState: string;
  resolve(snapshot: BatchSnapshot): void;
  reject(err: Error): void;
}

/** The batch's own evidence that it is gone: Livy answered 404 for its name. */
export class BatchLostError extends Error {
  override readonly name = 'BatchLostError';
}

const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** The pause before the next poll: the interval while the endpoint answers, doubling per failure up to the cap. */
export function pollDelayMs(pollIntervalMs: number, consecutiveFailures: number, maxBackoffMs: number): number {
  if (consecutiveFailures === 0) return pollIntervalMs;
  return Math.min(pollIntervalMs * 2 ** Math.min(consecutiveFailures, 30), Math.max(maxBackoffMs, pollIntervalMs));
}

class EndpointWatcher {
  private readonly waiters = new Set<Waiter>();
  private timer?: NodeJS.Timeout;
  private polling = false;
  private failures = 0;
  private failingSince?: number;
  private lastError?: string;
  private lastPollAt?: number;

  constructor(
    private readonly client: LivyClient,
    private readonly options: WatcherOptions,
  ) {}

  private get maxBackoffMs(): number {
    // At most 8 poll intervals (and 30 s): a flaky Livy is spared a storm of lists, yet a waiting job
    // hears of its batch's change within a few intervals of the first good answer's chance.
    return this.options.maxBackoffMs ?? Math.max(this.options.pollIntervalMs, Math.min(DEFAULT_MAX_BACKOFF_MS, 8 * this.options.pollIntervalMs));
  }

  add(waiter: Waiter): () => void {
    // Health seen long ago, when nobody was waiting, says nothing about now.
    if (this.waiters.size === 0 && this.lastPollAt !== undefined && Date.now() - this.lastPollAt > 2 * this.maxBackoffMs) {
      this.clearFailures();
    }
    this.waiters.add(waiter);
    this.schedule();
    return () => this.waiters.delete(waiter);
  }

  health(): EndpointHealth {
    return {
      consecutiveFailures: this.failures,
      ...(this.failingSince !== undefined ? { unreachableSinceMs: this.failingSince } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private nextDelayMs(): number {
    return pollDelayMs(this.options.pollIntervalMs, this.failures, this.maxBackoffMs);
  }

  private schedule(): void {
    if (this.timer || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.schedule());
    }, this.nextDelayMs());
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiters.size === 0) return;
    this.polling = true;
    this.lastPollAt = Date.now();
    try {
      const listed = await this.listAll();
      const waiters = [...this.waiters];
      const checks = await Promise.allSettled(waiters.map((w) => this.check(w, listed)));
      const failed = checks.find((c): c is PromiseRejectedResult => c.status === 'rejected');
      // Health first, so whoever is woken next sees the endpoint as it was on this poll.
      if (failed) this.onFailure(asError(failed.reason));
      else this.onSuccess();
      checks.forEach((c, i) => {
        if (c.status === 'fulfilled' && c.value) this.settle(waiters[i]!, c.value);
      });
    } catch (err) {
      this.onFailure(asError(err));
    } finally {
      this.polling = false;
    }
  }

  /** Every held batch by name; nameless ones are nobody's we watch. */
  private async listAll(): Promise<Map<string, LivyBatch>> {
    const size = this.options.pageSize ?? 1000;
    const byName = new Map<string, LivyBatch>();
    for (let from = 0; ; from += size) {
      const page = await this.client.listBatches(from, size);
      if (!Array.isArray(page?.sessions) || typeof page.total !== 'number') {
        throw new Error(`list batches: ${this.client.endpoint} answered something that is not Livy's listing`);
      }
      for (const batch of page.sessions) if (batch.name) byName.set(batch.name, batch);
      if (page.sessions.length < size || from + size >= page.total) return byName;
    }
  }

  /** The waiter's outcome, if this poll has one; throws only errors about the endpoint. */
  private async check(waiter: Waiter, listed: Map<string, LivyBatch>): Promise<BatchSnapshot | Error | undefined> {
    // Not in the listing (collected, erased, or moved to another page while we read): ask for it by name.
    const batch = listed.get(waiter.batchName) ?? (await this.client.findBatch(waiter.batchName));
    if (!batch) return new BatchLostError(`batch ${waiter.batchName} is lost: Livy no longer has it (404)`);
    return batch.state !== waiter.knownState ? toSnapshot(batch) : undefined;
  }

  private onSuccess(): void {
    if (this.failures > 0) {
      this.options.logger?.info(
        { livyUrl: this.client.endpoint, failures: this.failures, outageMs: Date.now() - (this.failingSince ?? Date.now()) },
        `Livy at ${this.client.endpoint} answers again after ${this.failures} failed polls`,
      );
    }
    this.clearFailures();
  }

  private onFailure(err: Error): void {
    if (this.failures === 0) {
      this.failingSince = Date.now();
      this.options.logger?.warn(
        { livyUrl: this.client.endpoint, error: err.message },
        `Livy at ${this.client.endpoint} is failing; waiting jobs keep waiting while it is retried with backoff`,
      );
    }
    this.failures += 1;
    this.lastError = err.message;
    this.options.onEndpointError?.(this.client.endpoint, this.health(), err);
  }

  private clearFailures(): void {
    this.failures = 0;
    this.failingSince = undefined;
    this.lastError = undefined;
  }

  private settle(waiter: Waiter, outcome: BatchSnapshot | Error): void {
    if (!this.waiters.delete(waiter)) return;
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Looks the batch up by its name: the batch Livy holds under that name is ours, whatever its id. */
export async function confirmOurBatch(client: LivyClient, batchName: string): Promise<LivyBatch> {
  const batch = await client.findBatch(batchName);
  if (!batch) throw new BatchLostError(`batch ${batchName} is lost: Livy no longer has it (404)`);
  return batch;
}

export class BatchWatcher {
  private readonly endpoints = new Map<string, EndpointWatcher>();

  constructor(
    private readonly clients: LivyClients,
    private readonly options: WatcherOptions,
  ) {}

  /**
   * Resolves with the batch's snapshot once its state differs from `knownState`; rejects only with
   * BatchLostError (Livy answered 404 for the name) or the signal's reason.
   */
  waitForChange(livyUrl: string, batchName: string, knownState: string, signal?: AbortSignal): Promise<BatchSnapshot> {
    const watcher = this.endpoint(livyUrl);
    return new Promise<BatchSnapshot>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('wait aborted'));
        return;
      }
      const remove = watcher.add({ batchName, knownState, resolve, reject });
      signal?.addEventListener('abort', () => {
        remove();
        reject(signal.reason instanceof Error ? signal.reason : new Error('wait aborted'));
      }, { once: true });
    });
  }

  /** How the endpoint's polls have gone lately: the wait activity bounds an outage with it. */
  endpointHealth(livyUrl: string): EndpointHealth {
    return this.endpoints.get(livyUrl)?.health() ?? { consecutiveFailures: 0 };
  }

  stop(): void {
    for (const endpoint of this.endpoints.values()) endpoint.stop();
  }

  private endpoint(livyUrl: string): EndpointWatcher {
    let endpoint = this.endpoints.get(livyUrl);
    if (!endpoint) {
      endpoint = new EndpointWatcher(this.clients.for(livyUrl), this.options);
      this.endpoints.set(livyUrl, endpoint);
    }
    return endpoint;
  }
}
