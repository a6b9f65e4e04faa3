/**
 * Watches the batches every simulator of a scenario holds, and the YARN apps they run, so the suite
 * can tell when each attempt was live (an app not yet FINISHED/FAILED/KILLED; without a YARN side, a
 * batch starting, running or recovering) and catch two attempts of one job live at the same time,
 * or an attempt still live after its job ended. Sampling, in this process, every `intervalMs`.
 */
import type { LivySimulator } from '../../../dev/livy-sim';

export const LIVE_BATCH_STATES: ReadonlySet<string> = new Set(['starting', 'running', 'recovering', 'not_started', 'idle', 'busy']);

/** Attempt n of job J is named `J-aN` (contract/jobId.ts). */
export function jobOfBatch(name: string | null | undefined): { jobId: string; attempt: number } | undefined {
  const match = name ? /^(.+)-a(\d+)$/.exec(name) : null;
  return match ? { jobId: match[1]!, attempt: Number(match[2]) } : undefined;
}

interface HeldBatch {
  id: number;
  name: string | null;
  state: string;
}

/**
 * The simulator's batches. It has no public listing that bypasses its fault injection and request
 * log (GET /batches is both faulted and logged), so this reads its store directly; a public
 * `batches()` on LivySimulator is used instead as soon as there is one.
 */
function heldBatches(sim: LivySimulator): HeldBatch[] {
  const open = sim as unknown as { batches?: () => HeldBatch[]; store?: { all?: () => HeldBatch[] } };
  if (typeof open.batches === 'function') return open.batches();
  if (typeof open.store?.all === 'function') return open.store.all().map((b) => ({ id: b.id, name: b.name, state: b.state }));
  throw new Error('chaos observer: cannot list the simulator\'s batches (no LivySimulator.batches() and no store)');
}

interface YarnAppView {
  id: string;
  name: string;
  tags: readonly string[];
  state: string;
}

const FINAL_YARN_STATES: ReadonlySet<string> = new Set(['FINISHED', 'FAILED', 'KILLED']);

/** The cluster's YARN applications, where the simulator has a YARN side (apps outlive Livy's record). */
function yarnApps(sim: LivySimulator): YarnAppView[] | undefined {
  const open = sim as unknown as { yarnApps?: () => YarnAppView[]; yarn?: { all?: () => YarnAppView[] } };
  if (typeof open.yarnApps === 'function') return open.yarnApps();
  if (typeof open.yarn?.all === 'function') return open.yarn.all();
  return undefined;
}

/** The attempt an app runs: its name, else the tag Shale gives it (`spark.yarn.tags` = the attempt name). */
function attemptOfApp(app: YarnAppView): string | undefined {
  if (jobOfBatch(app.name)) return app.name;
  return app.tags.find((t) => jobOfBatch(t) !== undefined && !/^livy-batch-/.test(t));
}

export interface BatchLife {
  sim: string;
  /** Livy's batch id; -1 for a YARN app. */
  id: number;
  /** Set for a YARN app (its attempt name comes from its name or tag). */
  appId?: string;
  name: string | null;
  firstSeen: number;
  lastSeen: number;
  /** First and last sample in which the batch was live. */
  firstLive?: number;
  lastLive?: number;
  lastState: string;
  /** Not held by its simulator at the latest sample (deleted, collected, or the simulator restarted). */
  gone: boolean;
}

export interface Overlap {
  jobId: string;
  names: string[];
  at: number;
}

export class LivyObserver {
  private readonly sims: Array<{ label: string; sim: LivySimulator; open: boolean }> = [];
  private readonly lives = new Map<string, BatchLife>();
  private readonly overlapsByKey = new Map<string, Overlap>();
  private timer?: NodeJS.Timeout;
  samples = 0;

  constructor(private readonly intervalMs = 100) {}

  watch(label: string, sim: LivySimulator): void {
    this.sims.push({ label, sim, open: true });
  }

  /** The simulator was closed on purpose: its batches are gone, but not "touched" by anyone. */
  closed(sim: LivySimulator): void {
    for (const s of this.sims) if (s.sim === sim) s.open = false;
  }

  isOpen(label: string): boolean {
    return this.sims.some((s) => s.label === label && s.open);
  }

  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(): void {
    const now = Date.now();
    this.samples += 1;
    const liveByJob = new Map<string, Set<string>>();
    const seen = new Set<string>();
    for (const { label, sim, open } of this.sims) {
      if (!open) continue;
      const apps = yarnApps(sim);
      if (apps) {
        // The truth about what runs: YARN. An app Livy forgot (expired, crashed) may still run.
        for (const app of apps) {
          const name = attemptOfApp(app) ?? null;
          const key = `${label}|yarn|${app.id}`;
          seen.add(key);
          let life = this.lives.get(key);
          if (!life) {
            life = { sim: label, id: -1, appId: app.id, name, firstSeen: now, lastSeen: now, lastState: app.state, gone: false };
            this.lives.set(key, life);
          }
          life.lastSeen = now;
          life.lastState = app.state;
          life.gone = false;
          if (!FINAL_YARN_STATES.has(app.state)) {
            life.firstLive ??= now;
            life.lastLive = now;
            const job = jobOfBatch(name);
            if (job) {
              const names = liveByJob.get(job.jobId) ?? new Set<string>();
              names.add(name!);
              liveByJob.set(job.jobId, names);
            }
          }
        }
      }
      for (const batch of heldBatches(sim)) {
        const key = `${label}|${batch.id}|${batch.name}`;
        seen.add(key);
        let life = this.lives.get(key);
        if (!life) {
          life = { sim: label, id: batch.id, name: batch.name, firstSeen: now, lastSeen: now, lastState: batch.state, gone: false };
          this.lives.set(key, life);
        }
        life.lastSeen = now;
        life.lastState = batch.state;
        life.gone = false;
        if (LIVE_BATCH_STATES.has(batch.state)) {
          life.firstLive ??= now;
          life.lastLive = now;
          const job = jobOfBatch(batch.name);
          // Without a YARN side, Livy's batches are all there is to go by.
          if (job && !apps) {
            const names = liveByJob.get(job.jobId) ?? new Set<string>();
            names.add(batch.name!);
            liveByJob.set(job.jobId, names);
          }
        }
      }
    }
    for (const [key, life] of this.lives) if (!seen.has(key) && this.isOpen(life.sim)) life.gone = true;
    for (const [jobId, names] of liveByJob) {
      if (names.size < 2) continue;
      const sorted = [...names].sort();
      const key = `${jobId}|${sorted.join(',')}`;
      if (!this.overlapsByKey.has(key)) this.overlapsByKey.set(key, { jobId, names: sorted, at: now });
    }
  }

  overlaps(): Overlap[] {
    return [...this.overlapsByKey.values()];
  }

  /** Every Livy batch seen with this name (a name can come back after a restart), oldest first. */
  lifeOf(name: string): BatchLife[] {
    return [...this.lives.values()].filter((l) => l.name === name && l.appId === undefined).sort((a, b) => a.firstSeen - b.firstSeen);
  }

  /** Every YARN app seen running this attempt, oldest first. */
  appsOf(name: string): BatchLife[] {
    return [...this.lives.values()].filter((l) => l.name === name && l.appId !== undefined).sort((a, b) => a.firstSeen - b.firstSeen);
  }

  /** Whether a batch (or app) by this name was live at `t` (to the sampling interval's precision). */
  wasLiveAt(name: string, t: number): boolean {
    return [...this.lifeOf(name), ...this.appsOf(name)].some((l) => l.firstLive !== undefined && l.firstLive <= t + this.intervalMs && t - this.intervalMs <= l.lastLive!);
  }

  /** Batches live at the latest sample. */
  liveNow(): BatchLife[] {
    return [...this.lives.values()].filter((l) => !l.gone && this.isOpen(l.sim) && (l.appId ? !FINAL_YARN_STATES.has(l.lastState) : LIVE_BATCH_STATES.has(l.lastState)));
  }

  /** What was live once every job had ended (taken before the simulators are closed); empty until then. */
  liveAtEnd: BatchLife[] = [];

  /** Samples once more and keeps what is live now as `liveAtEnd`. */
  takeFinalSample(): void {
    this.sample();
    this.liveAtEnd = this.liveNow().map((l) => ({ ...l }));
  }

  all(): BatchLife[] {
    return [...this.lives.values()];
  }
}
