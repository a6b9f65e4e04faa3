/**
 * The batches one simulated Livy server holds, and their life: starting → running → success |
 * dead | killed, collection after retainMs, DELETE, forced outcomes, and Livy recovery.
 */
import { behaviourFromConf, BehaviourError, type Behaviour, type BehaviourDefaults } from './behaviour.js';
import type { CreateBatchRequest } from './createRequest.js';
import { TimerSet } from './timers.js';
import { isTerminal, type BatchState, type BatchView, type TerminalState } from './types.js';

/** Lines of the log shown inside the Batch object (BatchSessionServlet keeps the last 10). */
export const BATCH_VIEW_LOG_LINES = 10;

export const DEAD_DIAGNOSTICS = 'YARN Diagnostics: User application exited with status 1';

export interface AppUrls {
  sparkUiUrl: string;
  driverLogUrl: string;
}

export interface BatchStoreOptions {
  retainMs: number;
  maxInFlightSubmits: number;
  recoveringMs: number;
  defaults: BehaviourDefaults;
  /** Fake URLs for a YARN application, under the simulator's host. */
  appUrls: (appId: string) => AppUrls;
  now?: () => number;
}

type Phase = 'starting' | 'running' | 'success';

export interface BatchRecord {
  readonly id: number;
  readonly name: string | null;
  readonly proxyUser: string | null;
  readonly behaviour: Behaviour;
  /** The YARN application number reserved for this batch; shown once it runs. */
  readonly appNumber: number;
  state: BatchState;
  appId: string | null;
  sparkUiUrl: string | null;
  driverLogUrl: string | null;
  /** Where a 'recovering' batch goes next. */
  resumeTo: Phase | null;
  /** When the current starting or running period began. */
  phaseStartedAt: number;
  startingLeftMs: number;
  /** Running time accumulated before the current running period (recovery pauses the clock). */
  ranMs: number;
  /** Number of stdout lines, fixed once the batch stops producing output. */
  frozenLines: number | null;
  diagnostics: string[];
  finishedAt: number | null;
  timer: NodeJS.Timeout | null;
}

export type SubmitResult =
  | { ok: true; batch: BatchRecord }
  | { ok: false; msg: string; id: number };

export class BatchStore {
  private readonly batches = new Map<number, BatchRecord>();
  private readonly byName = new Map<string, BatchRecord>();
  private readonly timers = new TimerSet();
  private readonly sweeper = new TimerSet();
  private readonly now: () => number;
  private nextId = 0;
  private appCounter = 0;
  private clusterStartMs: number;

  constructor(private readonly opts: BatchStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.clusterStartMs = this.now();
  }

  /** Starts the periodic collection of finished batches. */
  startCollecting(): void {
    this.sweeper.cancelAll();
    this.sweeper.every(Math.min(60_000, this.opts.retainMs / 2), () => this.collect());
  }

  /** Cancels every timer (lifecycle and collection); records are left as they are. */
  halt(): void {
    this.timers.cancelAll();
    this.sweeper.cancelAll();
    for (const batch of this.batches.values()) batch.timer = null;
  }

  /**
   * Forgets every batch and restarts ids at 0. `newCluster` also resets the YARN side
   * (application ids); a Livy restart alone keeps it.
   */
  reset(opts: { newCluster: boolean }): void {
    this.halt();
    this.batches.clear();
    this.byName.clear();
    this.nextId = 0;
    if (opts.newCluster) {
      this.appCounter = 0;
      this.clusterStartMs = this.now();
    }
  }

  /** Livy's tooManySessions(): spark-submits in flight, i.e. batches still 'starting'. */
  tooManySubmits(): boolean {
    let starting = 0;
    for (const batch of this.batches.values()) if (batch.state === 'starting') starting += 1;
    return starting >= this.opts.maxInFlightSubmits;
  }

  /**
   * Registers a batch as Livy does: the id is taken first, so a rejected name or a missing file
   * still uses one up. Messages are Livy's ("Rejected, Reason: " + the IllegalArgumentException).
   */
  submit(request: CreateBatchRequest): SubmitResult {
    const id = this.nextId++;
    const { name } = request;
    if (name !== null && /^\d*$/.test(name)) {
      return { ok: false, id, msg: `Rejected, Reason: Invalid session name: ${name}` };
    }
    if (name !== null && this.byName.has(name)) {
      return { ok: false, id, msg: `Rejected, Reason: Duplicate session name: Some(${name}) for session ${id}` };
    }
    if (request.file === null) {
      return { ok: false, id, msg: 'Rejected, Reason: requirement failed: File is required.' };
    }
    let behaviour: Behaviour;
    try {
      behaviour = behaviourFromConf(request.conf, name, this.opts.defaults);
    } catch (err) {
      if (err instanceof BehaviourError) return { ok: false, id, msg: `Rejected, Reason: ${err.message}` };
      throw err;
    }
    const batch: BatchRecord = {
      id,
      name,
      proxyUser: request.proxyUser,
      behaviour,
      appNumber: ++this.appCounter,
      state: 'starting',
      appId: null,
      sparkUiUrl: null,
      driverLogUrl: null,
      resumeTo: null,
      phaseStartedAt: this.now(),
      startingLeftMs: behaviour.startingMs,
      ranMs: 0,
      frozenLines: null,
      diagnostics: [],
      finishedAt: null,
      timer: null,
    };
    this.batches.set(id, batch);
    if (name !== null) this.byName.set(name, batch);
    this.schedule(batch, behaviour.startingMs, () => this.run(batch));
    return { ok: true, batch };
  }

  /** Livy's lookup: an all-digit segment is an id, anything else a name. */
  find(idOrName: string): BatchRecord | undefined {
    return /^\d+$/.test(idOrName) ? this.batches.get(Number(idOrName)) : this.byName.get(idOrName);
  }

  byId(id: number): BatchRecord | undefined {
    return this.batches.get(id);
  }

  byAppId(appId: string): BatchRecord | undefined {
    for (const batch of this.batches.values()) if (batch.appId === appId) return batch;
    return undefined;
  }

  /** Every held batch, in id order. */
  all(): BatchRecord[] {
    return [...this.batches.values()];
  }

  get size(): number {
    return this.batches.size;
  }

  /** DELETE: kill the app if it runs, then erase the record (the name is free again). */
  erase(batch: BatchRecord): void {
    this.timers.cancel(batch.timer);
    batch.timer = null;
    if (this.batches.get(batch.id) === batch) this.batches.delete(batch.id);
    if (batch.name !== null && this.byName.get(batch.name) === batch) this.byName.delete(batch.name);
  }

  /** Forces an outcome now (admin API). Returns false when the batch had already finished. */
  forceFinish(batch: BatchRecord, state: TerminalState): boolean {
    if (isTerminal(batch.state)) return false;
    this.finish(batch, state);
    return true;
  }

  /** Drops finished batches held longer than retainMs; returns how many were collected. */
  collect(): number {
    const now = this.now();
    let collected = 0;
    for (const batch of this.all()) {
      if (isTerminal(batch.state) && batch.finishedAt !== null && now - batch.finishedAt >= this.opts.retainMs) {
        this.erase(batch);
        collected += 1;
      }
    }
    return collected;
  }

  /**
   * A Livy restart with recovery on: dead and killed batches are gone, the others show
   * 'recovering' for recoveringMs, then successful ones are 'success' again and active ones
   * continue where they were. Collection is halted too: call startCollecting() afterwards.
   */
  recover(): void {
    const now = this.now();
    this.halt();
    for (const batch of this.all()) {
      if (batch.state === 'dead' || batch.state === 'killed') {
        this.erase(batch);
        continue;
      }
      if (batch.state === 'starting') {
        batch.startingLeftMs = Math.max(0, batch.startingLeftMs - (now - batch.phaseStartedAt));
        batch.resumeTo = 'starting';
      } else if (batch.state === 'running') {
        batch.frozenLines = this.stdoutLineCount(batch, now);
        batch.ranMs += now - batch.phaseStartedAt;
        batch.resumeTo = 'running';
      } else if (batch.state === 'success') {
        batch.resumeTo = 'success';
      }
      batch.state = 'recovering';
      this.schedule(batch, this.opts.recoveringMs, () => this.resume(batch));
    }
  }

  /** The Batch object of the REST API. */
  view(batch: BatchRecord): BatchView {
    return {
      id: batch.id,
      name: batch.name,
      owner: null,
      proxyUser: batch.proxyUser,
      state: batch.state,
      appId: batch.appId,
      appInfo: {
        driverLogUrl: batch.driverLogUrl,
        sparkUiUrl: batch.sparkUiUrl,
        executorLogUrls: null,
      },
      log: this.logLines(batch).slice(-BATCH_VIEW_LOG_LINES),
    };
  }

  /** What GET /batches/{id}/log pages through. */
  logLines(batch: BatchRecord): string[] {
    const label = batch.name ?? `batch-${batch.id}`;
    const count = this.stdoutLineCount(batch, this.now());
    const lines: string[] = [];
    for (let i = 1; i <= count; i += 1) lines.push(`stdout: line ${i} of ${label}`);
    return lines.concat(batch.diagnostics);
  }

  private stdoutLineCount(batch: BatchRecord, now: number): number {
    if (batch.frozenLines !== null) return batch.frozenLines;
    if (batch.state !== 'running') return 0;
    const { logLines, durationMs } = batch.behaviour;
    if (durationMs <= 0) return logLines;
    const ran = batch.ranMs + (now - batch.phaseStartedAt);
    return Math.max(0, Math.min(logLines, Math.floor((logLines * ran) / durationMs)));
  }

  private schedule(batch: BatchRecord, ms: number, fn: () => void): void {
    this.timers.cancel(batch.timer);
    batch.timer = this.timers.after(ms, () => {
      batch.timer = null;
      if (this.batches.get(batch.id) === batch) fn();
    });
  }

  private formatAppId(batch: BatchRecord): string {
    return `application_${this.clusterStartMs}_${String(batch.appNumber).padStart(4, '0')}`;
  }

  private assignApp(batch: BatchRecord): void {
    if (batch.appId !== null) return;
    batch.appId = this.formatAppId(batch);
    const urls = this.opts.appUrls(batch.appId);
    batch.sparkUiUrl = urls.sparkUiUrl;
    batch.driverLogUrl = urls.driverLogUrl;
  }

  private run(batch: BatchRecord): void {
    this.assignApp(batch);
    batch.state = 'running';
    batch.resumeTo = null;
    batch.frozenLines = null;
    batch.phaseStartedAt = this.now();
    const left = Math.max(0, batch.behaviour.durationMs - batch.ranMs);
    this.schedule(batch, left, () => this.finish(batch, batch.behaviour.outcome));
  }

  private resume(batch: BatchRecord): void {
    const next = batch.resumeTo;
    batch.resumeTo = null;
    if (next === 'success') {
      batch.state = 'success';
    } else if (next === 'starting') {
      batch.state = 'starting';
      batch.phaseStartedAt = this.now();
      this.schedule(batch, batch.startingLeftMs, () => this.run(batch));
    } else {
      this.run(batch);
    }
  }

  private finish(batch: BatchRecord, state: TerminalState): void {
    const now = this.now();
    this.timers.cancel(batch.timer);
    batch.timer = null;
    // A killed app stops writing; a finished one has written everything.
    batch.frozenLines = state === 'killed' ? this.stdoutLineCount(batch, now) : batch.behaviour.logLines;
    if (state === 'success') this.assignApp(batch);
    if (state === 'dead') batch.diagnostics = [DEAD_DIAGNOSTICS];
    batch.driverLogUrl = null;
    batch.resumeTo = null;
    batch.finishedAt = now;
    batch.state = state;
  }
}
