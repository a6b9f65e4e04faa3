/**
 * The batches one simulated Livy server holds, and their life: starting → running → success |
 * dead | killed, collection after retainMs, DELETE, forced outcomes, Livy recovery, the failed
 * start that stays registered, and the log as Livy keeps it. Each batch runs as an app on the
 * cluster's YARN (yarn.ts), which outlives Livy's record of it.
 */
import { behaviourFromConf, BehaviourError, type Behaviour, type BehaviourDefaults } from './behaviour.js';
import type { CreateBatchRequest } from './createRequest.js';
import { livyLogEntries } from './logBuffer.js';
import { TimerSet } from './timers.js';
import { isTerminal, type BatchState, type BatchView, type LivyVersion, type TerminalState } from './types.js';
import { isFinalYarnState, KILLED_DIAGNOSTICS, type YarnApp, type YarnCluster } from './yarn.js';

/** Entries of the log shown inside the Batch object (Livy's batch view keeps the last 10). */
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
  /** Which Livy's error texts to answer with (0.9 prefixes rejections with "Rejected, Reason: "). */
  livyVersion: LivyVersion;
  /** `livy.file.local-dir-whitelist`: directories a `file:` URI may point into. */
  localDirWhitelist: readonly string[];
  /** Conf keys of `spark-blacklist.conf`. */
  confBlacklist: readonly string[];
  /** Hadoop's fs.defaultFS: what a path without a scheme resolves against. */
  defaultFs: string;
  yarn: YarnCluster;
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
  /**
   * The YARN application; null for a failed start (Livy registered the batch, then refused to
   * launch spark-submit: it stays in 'starting' until deleted).
   */
  readonly app: YarnApp | null;
  state: BatchState;
  /** Shown once the app runs (Livy learns it from YARN). */
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
  /** The stderr section's lines. */
  stderr: string[];
  finishedAt: number | null;
  timer: NodeJS.Timeout | null;
}

export type SubmitResult =
  | { ok: true; batch: BatchRecord }
  /** 400 {"msg"} for a refusal; 500 with a bare string for an exception Livy did not expect. */
  | { ok: false; msg: string; id: number; status?: 400 | 500; batch?: BatchRecord };

/** Why a start failed after registration, and how Livy answers it. */
interface StartFailure {
  msg: string;
  status: 400 | 500;
}

/** How Livy forgets its batches on a restart without recovery (LIVY.md). */
export type ForgetMode = 'graceful' | 'crash';

export class BatchStore {
  private readonly batches = new Map<number, BatchRecord>();
  private readonly byName = new Map<string, BatchRecord>();
  private readonly timers = new TimerSet();
  private readonly sweeper = new TimerSet();
  private readonly now: () => number;
  private nextId = 0;

  constructor(private readonly opts: BatchStoreOptions) {
    this.now = opts.now ?? Date.now;
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
   * Forgets every batch and restarts ids at 0 (a Livy restart without recovery). A graceful stop
   * kills the apps it ran; after a crash they run on in YARN, untracked.
   */
  forgetAll(mode: ForgetMode): void {
    this.halt();
    const now = this.now();
    for (const batch of this.all()) {
      if (!batch.app || isTerminal(batch.state)) continue;
      if (mode === 'graceful') this.opts.yarn.kill(batch.app);
      else this.opts.yarn.runDetached(batch.app, { ...this.remainingRun(batch, now), ...this.ending(batch) });
    }
    this.batches.clear();
    this.byName.clear();
    this.nextId = 0;
  }

  /** Livy's tooManySessions(): spark-submits in flight, i.e. batches starting an app. */
  tooManySubmits(): boolean {
    let starting = 0;
    for (const batch of this.batches.values()) if (batch.state === 'starting' && batch.app) starting += 1;
    return starting >= this.opts.maxInFlightSubmits;
  }

  /**
   * Registers a batch as Livy does: the id is taken first, so a rejected name still uses one
   * up; once the name is registered, a start that fails (no file, a local file outside the
   * whitelist, a blacklisted conf) is answered 400 yet leaves the batch in 'starting' for good.
   */
  submit(request: CreateBatchRequest): SubmitResult {
    const id = this.nextId++;
    const { name } = request;
    if (name !== null && /^\d*$/.test(name)) {
      return { ok: false, id, msg: this.rejection(`Invalid session name: ${name}`) };
    }
    if (name !== null && this.byName.has(name)) {
      return { ok: false, id, msg: this.rejection(`Duplicate session name: Some(${name}) for session ${id}`) };
    }
    let behaviour: Behaviour;
    try {
      behaviour = behaviourFromConf(request.conf, name, this.opts.defaults);
    } catch (err) {
      // The simulator's own conf keys: a typo in a test, refused before anything is registered.
      if (err instanceof BehaviourError) return { ok: false, id, msg: this.rejection(err.message) };
      throw err;
    }
    const failure = this.startFailure(request);
    const app = failure
      ? null
      : this.opts.yarn.submit({ name: request.conf['spark.app.name'] ?? name ?? `livy-batch-${id}`, user: request.proxyUser, queue: request.queue, tags: this.tagsOf(request, id) });
    const batch = this.register({ id, name, proxyUser: request.proxyUser, behaviour, app });
    if (failure) {
      const msg = failure.status === 500 ? failure.msg : this.rejection(failure.msg);
      return { ok: false, id, msg, status: failure.status, batch };
    }
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
    if (batch.app && !isTerminal(batch.state)) this.opts.yarn.kill(batch.app);
    if (this.batches.get(batch.id) === batch) this.batches.delete(batch.id);
    if (batch.name !== null && this.byName.get(batch.name) === batch) this.byName.delete(batch.name);
  }

  /** Forces an outcome now (admin API, or a kill through YARN). False when the batch had already finished. */
  forceFinish(batch: BatchRecord, state: TerminalState): boolean {
    if (isTerminal(batch.state)) return false;
    this.finish(batch, state);
    return true;
  }

  /** The batch Livy still tracks for a YARN app, if any. */
  trackerOf(app: YarnApp): BatchRecord | undefined {
    for (const batch of this.batches.values()) if (batch.app === app) return batch;
    return undefined;
  }

  /** Drops finished batches held longer than retainMs; returns how many were collected. */
  collect(): number {
    return this.collectWhere((batch, now) => now - batch.finishedAt! >= this.opts.retainMs);
  }

  /** Drops every finished batch now, as if its retain time had passed; returns how many. */
  expireFinished(): number {
    return this.collectWhere(() => true);
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
        if (!batch.app) continue; // a failed start has nothing to recover: it stays as it was
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
        // 0.8 added the key; 0.7.1 answers without it (seen on 0.7.1).
        ...(this.opts.livyVersion === '0.9' ? { executorLogUrls: null } : {}),
      },
      log: this.logEntries(batch).slice(-BATCH_VIEW_LOG_LINES),
    };
  }

  /**
   * What GET /batches/{id}/log pages through (LIVY.md): the stdout marker, the last 200 lines the
   * app printed, the stderr marker, the last 200 of stderr. A failed start has no app, so no log.
   */
  logEntries(batch: BatchRecord): string[] {
    if (!batch.app) return [];
    return livyLogEntries(this.stdoutLineCount(batch, this.now()), (n) => appLine(batch, n), batch.stderr);
  }

  /** Everything the app wrote, unbounded: the fake driver log page. */
  driverLog(batch: BatchRecord): string[] {
    const count = this.stdoutLineCount(batch, this.now());
    return [...Array.from({ length: count }, (_, i) => appLine(batch, i + 1)), ...batch.stderr];
  }

  private rejection(reason: string): string {
    return this.opts.livyVersion === '0.9' ? `Rejected, Reason: ${reason}` : reason;
  }

  /**
   * Why Livy would refuse to launch spark-submit after registering the batch, if it would: in the
   * order BatchSession.create meets them (the file, the blacklist, each path's resolution against
   * fs.defaultFS and the local whitelist, then the int fields' cast when the arguments are built).
   */
  private startFailure(request: CreateBatchRequest): StartFailure | undefined {
    const refuse = (msg: string): StartFailure => ({ msg: `requirement failed: ${msg}`, status: 400 });
    if (request.file === null) return refuse('File is required.');
    const blacklisted = Object.keys(request.conf).filter((key) => this.opts.confBlacklist.includes(key));
    if (blacklisted.length > 0) return { msg: `Blacklisted configuration values in session config: ${blacklisted.join(', ')}`, status: 400 };
    for (const uri of [request.file, ...request.jars, ...request.pyFiles, ...request.files, ...request.archives]) {
      const resolved = resolveUri(uri, this.opts.defaultFs);
      if ('notAbsolute' in resolved) return refuse(`Path '${resolved.notAbsolute}' is not absolute.`);
      const { localPath } = resolved;
      // Livy's whitelist entries end with '/' (LivyConf normalises them): /jobs does not let /jobs-other in.
      if (localPath !== undefined && !this.opts.localDirWhitelist.some((dir) => localPath.startsWith(dir.endsWith('/') ? dir : `${dir}/`))) {
        return refuse(`Local path ${localPath} cannot be added to user sessions.`);
      }
    }
    if (request.castFailure !== null) return { msg: request.castFailure, status: 500 };
    return undefined;
  }

  /** Livy's own tag plus the user's spark.yarn.tags: the app can be found by either in YARN. */
  private tagsOf(request: CreateBatchRequest, id: number): string[] {
    const own = `livy-batch-${id}-${Math.random().toString(36).slice(2, 10)}`;
    return [own, ...(request.conf['spark.yarn.tags'] ?? '').split(',')];
  }

  private register(fields: Pick<BatchRecord, 'id' | 'name' | 'proxyUser' | 'behaviour' | 'app'>): BatchRecord {
    const batch: BatchRecord = {
      ...fields,
      state: 'starting',
      appId: null,
      sparkUiUrl: null,
      driverLogUrl: null,
      resumeTo: null,
      phaseStartedAt: this.now(),
      startingLeftMs: fields.behaviour.startingMs,
      ranMs: 0,
      frozenLines: null,
      stderr: [],
      finishedAt: null,
      timer: null,
    };
    this.batches.set(batch.id, batch);
    if (batch.name !== null) this.byName.set(batch.name, batch);
    return batch;
  }

  private collectWhere(due: (batch: BatchRecord, now: number) => boolean): number {
    const now = this.now();
    let collected = 0;
    for (const batch of this.all()) {
      if (isTerminal(batch.state) && batch.finishedAt !== null && due(batch, now)) {
        this.erase(batch);
        collected += 1;
      }
    }
    return collected;
  }

  /** How much of an unfinished batch's run is left, for its app to run on without Livy. */
  private remainingRun(batch: BatchRecord, now: number): { startsInMs: number; endsInMs: number } {
    const { durationMs } = batch.behaviour;
    if (batch.state === 'starting') {
      const startsInMs = Math.max(0, batch.startingLeftMs - (now - batch.phaseStartedAt));
      return { startsInMs, endsInMs: startsInMs + Math.max(0, durationMs - batch.ranMs) };
    }
    const ran = batch.ranMs + (batch.state === 'running' ? now - batch.phaseStartedAt : 0);
    return { startsInMs: 0, endsInMs: Math.max(0, durationMs - ran) };
  }

  private ending(batch: BatchRecord): { outcome: TerminalState; diagnostics: string } {
    const { outcome, exitsSilently } = batch.behaviour;
    return { outcome, diagnostics: outcome === 'dead' && !exitsSilently ? DEAD_DIAGNOSTICS : '' };
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

  private showApp(batch: BatchRecord): void {
    if (batch.appId !== null || !batch.app) return;
    batch.appId = batch.app.id;
    const urls = this.opts.appUrls(batch.appId);
    batch.sparkUiUrl = urls.sparkUiUrl;
    batch.driverLogUrl = urls.driverLogUrl;
  }

  private run(batch: BatchRecord): void {
    if (batch.app && isFinalYarnState(batch.app.state)) return;
    this.showApp(batch);
    if (batch.app) this.opts.yarn.run(batch.app);
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
    if (state === 'success') this.showApp(batch);
    // An app that exits non-zero without an exception writes no error line at all.
    const diagnostics = state === 'dead' && !batch.behaviour.exitsSilently ? DEAD_DIAGNOSTICS : '';
    if (diagnostics) batch.stderr = [diagnostics];
    if (batch.app) this.opts.yarn.finish(batch.app, state, diagnostics || (state === 'killed' ? KILLED_DIAGNOSTICS : ''));
    batch.driverLogUrl = null;
    batch.resumeTo = null;
    batch.finishedAt = now;
    batch.state = state;
  }
}

/** The app's n-th line of output, numbered so a reader can tell each line apart. */
function appLine(batch: BatchRecord, n: number): string {
  return `line ${n} of ${batch.name ?? `batch-${batch.id}`}`;
}

/**
 * Livy's resolveURI: a path without a scheme must be absolute and resolves against fs.defaultFS;
 * a `file:` result is a local path (checked against the whitelist), anything else (HDFS, S3) is not.
 */
function resolveUri(uri: string, defaultFs: string): { localPath?: string } | { notAbsolute: string } {
  let resolved = uri;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) {
    if (!uri.startsWith('/')) return { notAbsolute: uri };
    resolved = `${defaultFs.replace(/\/+$/, '')}${uri}`;
  }
  if (!/^file:/i.test(resolved)) return {};
  // java.net.URI's getPath(): percent escapes decoded, '..' left as it is (Livy does not normalise,
  // so /allowed/../elsewhere passes its whitelist: seen on 0.7.1).
  const path = /^file:(?:\/\/[^/]*)?(.*)$/i.exec(resolved)?.[1] ?? '';
  try {
    return { localPath: decodeURIComponent(path) };
  } catch {
    return { localPath: path };
  }
}
