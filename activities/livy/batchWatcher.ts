/**
 * One watcher per Livy endpoint serves every waiting activity in the worker: it lists all batches
 * once per poll interval (paged), so Livy sees a handful of requests per interval whatever the
 * number of jobs, and wakes each waiter whose batch changed state.
 */
import type { BatchSnapshot } from '../../contract';
import type { LivyClients, LivyClient } from './client';
import { LivyError } from './errors';
import { isSameBatch, toSnapshot } from './snapshot';
import type { LivyBatch } from './types';

export interface WatcherOptions {
  pollIntervalMs: number;
  /** How long Livy may stay unreachable before waiters are told the cluster is gone. */
  unreachableGraceMs: number;
  pageSize?: number;
}

interface Waiter {
  batchId: number;
  batchName: string;
  knownState: string;
  resolve(snapshot: BatchSnapshot): void;
  reject(err: Error): void;
}

class EndpointWatcher {
  private readonly waiters = new Set<Waiter>();
  private timer?: NodeJS.Timeout;
  private polling = false;
  private unreachableSince?: number;
  /** The newest listing, so a new waiter can be answered without another request. */
  latest = new Map<number, LivyBatch>();

  constructor(
    private readonly client: LivyClient,
    private readonly options: WatcherOptions,
  ) {}

  add(waiter: Waiter): () => void {
    // Nobody was watching, so nothing was polled: an outage seen back then says nothing about now.
    if (this.waiters.size === 0) this.unreachableSince = undefined;
    this.waiters.add(waiter);
    this.schedule();
    return () => this.waiters.delete(waiter);
  }

  private schedule(): void {
    if (this.timer || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.schedule());
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiters.size === 0) return;
    this.polling = true;
    try {
      this.latest = await this.listAll();
      this.unreachableSince = undefined;
      await Promise.all([...this.waiters].map((w) => this.check(w)));
    } catch (err) {
      this.onPollError(err as Error);
    } finally {
      this.polling = false;
    }
  }

  private async listAll(): Promise<Map<number, LivyBatch>> {
    const size = this.options.pageSize ?? 1000;
    const byId = new Map<number, LivyBatch>();
    for (let from = 0; ; from += size) {
      const page = await this.client.listBatches(from, size);
      for (const batch of page.sessions) byId.set(batch.id, batch);
      if (page.sessions.length < size || from + size >= page.total) return byId;
    }
  }

  private async check(waiter: Waiter): Promise<void> {
    let batch = this.latest.get(waiter.batchId);
    if (!isSameBatch(batch, waiter.batchId, waiter.batchName)) {
      // Not in the listing (or another batch has its id): confirm with a direct look-up before calling it lost.
      try {
        batch = await confirmOurBatch(this.client, waiter.batchId, waiter.batchName);
      } catch (err) {
        if (err instanceof BatchLostError) return this.settle(waiter, err);
        throw err;
      }
    }
    if (batch.state !== waiter.knownState) this.settle(waiter, toSnapshot(batch));
  }

  private onPollError(err: Error): void {
    const unreachable = err instanceof LivyError && (err.kind === 'unreachable' || err.kind === 'server-error');
    if (!unreachable) {
      for (const w of [...this.waiters]) this.settle(w, err);
      return;
    }
    this.unreachableSince ??= Date.now();
    if (Date.now() - this.unreachableSince >= this.options.unreachableGraceMs) {
      const gone = new LivyError('unreachable', `${err.message}; unreachable for ${Math.round((Date.now() - this.unreachableSince) / 1000)}s`);
      for (const w of [...this.waiters]) this.settle(w, gone);
    }
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

export class BatchLostError extends Error {
  override readonly name = 'BatchLostError';
}

/** Looks the batch up by id and checks it is still ours by name (ids are reused after a Livy restart). */
export async function confirmOurBatch(client: LivyClient, batchId: number, batchName: string): Promise<LivyBatch> {
  const batch = await client.findBatch(batchId);
  const lost = (why: string) => new BatchLostError(`batch ${batchId} (${batchName}) is lost: ${why}`);
  if (!batch) throw lost('Livy no longer has it (404)');
  if (batch.id !== batchId || batch.name !== batchName) throw lost(`batch ${batchId} is now named ${batch.name ?? '(none)'}: Livy restarted and reused the id`);
  return batch;
}

export class BatchWatcher {
  private readonly endpoints = new Map<string, EndpointWatcher>();

  constructor(
    private readonly clients: LivyClients,
    private readonly options: WatcherOptions,
  ) {}

  /** Resolves with the batch's snapshot once its state differs from `knownState`. */
  waitForChange(livyUrl: string, batchId: number, batchName: string, knownState: string, signal?: AbortSignal): Promise<BatchSnapshot> {
    let endpoint = this.endpoints.get(livyUrl);
    if (!endpoint) {
      endpoint = new EndpointWatcher(this.clients.for(livyUrl), this.options);
      this.endpoints.set(livyUrl, endpoint);
    }
    const watcher = endpoint;
    return new Promise<BatchSnapshot>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('wait aborted'));
        return;
      }
      const remove = watcher.add({ batchId, batchName, knownState, resolve, reject });
      signal?.addEventListener('abort', () => {
        remove();
        reject(signal.reason instanceof Error ? signal.reason : new Error('wait aborted'));
      }, { once: true });
    });
  }

  stop(): void {
    for (const endpoint of this.endpoints.values()) endpoint.stop();
  }
}
