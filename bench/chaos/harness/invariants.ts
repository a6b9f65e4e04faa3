/**
 * The invariants every job of every scenario must keep (issue 9, "A chaos suite in the project"):
 * the right final state, exactly one POST per attempt, a DELETE only where the cancellation table
 * says, never two live attempts, never a foreign batch touched, and no secret anywhere.
 */
import { isTerminalJobState, type AttemptRecord } from '../../../contract';
import type { RequestLogEntry } from '../../../dev/livy-sim';
import { jobOfBatch } from './observer';
import type { ScenarioContext, TrackedJob } from './scenario';

export interface InvariantResult {
  /** False when the invariant did not apply to the scenario (e.g. no foreign batches). */
  applies: boolean;
  checked: number;
  failed: number;
  examples: string[];
}

export interface Verdict {
  finalStates: InvariantResult;
  postsPerAttempt: InvariantResult;
  deletes: InvariantResult;
  oneLiveAttempt: InvariantResult;
  foreignUntouched: InvariantResult;
  secretLeaks: InvariantResult;
  checks: InvariantResult;
}

export const INVARIANT_NAMES: Record<keyof Verdict, string> = {
  finalStates: 'final state',
  postsPerAttempt: 'one POST per attempt',
  deletes: 'DELETE per cancellation table',
  oneLiveAttempt: 'never two live attempts',
  foreignUntouched: 'foreign batches untouched',
  secretLeaks: 'secret leaks',
  checks: 'scenario checks',
};

class Tally {
  checked = 0;
  readonly examples: string[] = [];
  failed = 0;

  constructor(private readonly applies = true) {}

  pass(): void {
    this.checked += 1;
  }

  fail(example: string): void {
    this.checked += 1;
    this.failed += 1;
    this.examples.push(example);
  }

  /** One unit checked, failing with every problem found for it. */
  unit(problems: string[]): void {
    if (problems.length === 0) this.pass();
    else {
      this.checked += 1;
      this.failed += 1;
      this.examples.push(...problems);
    }
  }

  result(): InvariantResult {
    return { applies: this.applies, checked: this.checked, failed: this.failed, examples: this.examples };
  }
}

/** A fault the simulator injected answers 500 or drops the connection: the request never reached Livy's handler. */
const reachedLivy = (r: RequestLogEntry) => r.status !== 0 && r.status !== 500;

/** Causes of workflow task failures that are Temporal's ordinary protocol, not a bug in the workflow code. */
const BENIGN_TASK_FAILURES = new Set(['RESET_STICKY_TASK_QUEUE', 'UNHANDLED_COMMAND']);

function isWedged(job: TrackedJob): boolean {
  const failing = Object.keys(job.taskFailures ?? {}).some((cause) => !BENIGN_TASK_FAILURES.has(cause));
  return failing && job.executionStatus === 'RUNNING';
}

function finalState(job: TrackedJob): string[] {
  const { status, plan } = job;
  const problems: string[] = [];
  const name = `${job.jobId} (${plan.label})`;
  if (!status) return [`${name}: no status (${job.statusError ?? 'unknown'})`];
  if (!plan.expect.includes(status.state)) {
    const why = status.lastError ? ` — ${status.lastError.type}: ${status.lastError.message.slice(0, 120)}` : '';
    problems.push(`${name}: ${status.state}, expected ${plan.expect.join('|')}${why}`);
  }
  if (plan.maxAttempts !== undefined && status.attempts.length > plan.maxAttempts) {
    problems.push(`${name}: ${status.attempts.length} attempts, at most ${plan.maxAttempts} allowed`);
  }
  const bad = Object.entries(job.taskFailures ?? {}).filter(([cause]) => !BENIGN_TASK_FAILURES.has(cause));
  if (bad.length) problems.push(`${name}: workflow task failed (${bad.map(([c, n]) => `${n}× ${c}`).join(', ')})`);
  return problems;
}

function byJob(requests: Array<RequestLogEntry & { sim: string }>, method: string): Map<string, Array<RequestLogEntry & { sim: string }>> {
  const out = new Map<string, Array<RequestLogEntry & { sim: string }>>();
  for (const r of requests) {
    if (r.method !== method) continue;
    const job = jobOfBatch(r.batchName);
    if (!job) continue;
    const list = out.get(job.jobId) ?? [];
    list.push(r);
    out.set(job.jobId, list);
  }
  return out;
}

function hadBatch(ctx: ScenarioContext, attempt: AttemptRecord): boolean {
  return attempt.batchId !== undefined || ctx.observer.lifeOf(attempt.batchName).length > 0;
}

function postsPerAttempt(ctx: ScenarioContext, job: TrackedJob, posts: RequestLogEntry[]): string[] {
  const status = job.status;
  if (!status) return [];
  const problems: string[] = [];
  const recorded = new Set(status.attempts.map((a) => a.batchName));
  for (const r of posts) {
    if (!recorded.has(r.batchName!)) problems.push(`POST ${r.batchName} (answered ${r.status}) for an attempt the job never recorded`);
  }
  for (const attempt of status.attempts) {
    const reached = posts.filter((r) => r.batchName === attempt.batchName && reachedLivy(r)).length;
    if (job.plan.noLivyCalls && reached > 0) problems.push(`${attempt.batchName}: POSTed although the cancellation table says no Livy call`);
    else if (reached > 1) problems.push(`${attempt.batchName}: ${reached} POSTs reached Livy`);
    else if (reached === 0 && attempt.batchId !== undefined && !attempt.adopted) problems.push(`${attempt.batchName}: has batch ${attempt.batchId} but no POST`);
  }
  if (job.plan.noLivyCalls && status.attempts.length === 0 && posts.length > 0) problems.push(`POSTed although the cancellation table says no Livy call`);
  return problems.map((p) => `${job.jobId}: ${p}`);
}

function deletesPerTable(ctx: ScenarioContext, job: TrackedJob, deletes: RequestLogEntry[]): string[] {
  const status = job.status;
  if (!status) return [];
  const problems: string[] = [];
  const recorded = new Set(status.attempts.map((a) => a.batchName));
  for (const r of deletes) if (!recorded.has(r.batchName!)) problems.push(`DELETE ${r.batchName}: not an attempt the job recorded`);
  const cancelAt = status.cancel ? Date.parse(status.cancel.at) : undefined;
  status.attempts.forEach((attempt) => {
    const mine = deletes.filter((r) => r.batchName === attempt.batchName);
    const reached = mine.filter(reachedLivy).length;
    const name = attempt.batchName;
    if ((job.plan.noDeletes || job.plan.noLivyCalls) && mine.length > 0) {
      problems.push(`${name}: DELETE although the cancellation table says none (${job.plan.label})`);
      return;
    }
    switch (attempt.outcome) {
      case 'SUCCEEDED':
      case 'APP_FAILED':
        // DELETE erases Livy's record of a finished batch.
        if (mine.length > 0) problems.push(`${name}: DELETE of a batch that ended ${attempt.outcome}`);
        break;
      case 'CANCELLED':
      case 'TIMED_OUT': {
        if (!hadBatch(ctx, attempt)) {
          if (mine.length > 0) problems.push(`${name}: DELETE of an attempt that had no batch`);
          break;
        }
        const when = attempt.outcome === 'CANCELLED' ? cancelAt : attempt.finishedAt ? Date.parse(attempt.finishedAt) : undefined;
        const liveThen = when === undefined || ctx.observer.wasLiveAt(name, when);
        if (liveThen && reached === 0) problems.push(`${name}: ${attempt.outcome} while live, but no DELETE reached Livy`);
        if (!liveThen && mine.length > 0) problems.push(`${name}: DELETE of a batch that had already ended when the cancel came`);
        break;
      }
      default:
        // INFRA_FAILED / FATAL: killing it is fencing (rule 5), allowed; unfinished attempts are judged by the final state.
        break;
    }
  });
  return problems.map((p) => `${job.jobId}: ${p}`);
}

function liveAttempts(ctx: ScenarioContext): Tally {
  const tally = new Tally();
  const overlaps = new Map<string, string[]>();
  for (const o of ctx.observer.overlaps()) {
    if (!ctx.jobs.has(o.jobId)) continue;
    const list = overlaps.get(o.jobId) ?? [];
    list.push(`${o.jobId}: ${o.names.join(' and ')} live together at +${((o.at - ctx.startedAt) / 1000).toFixed(1)}s`);
    overlaps.set(o.jobId, list);
  }
  const orphans = new Map<string, string[]>();
  for (const life of ctx.observer.liveAtEnd) {
    const owner = jobOfBatch(life.name);
    const job = owner && ctx.jobs.get(owner.jobId);
    if (!job?.status || !isTerminalJobState(job.status.state)) continue;
    const list = orphans.get(job.jobId) ?? [];
    list.push(`${job.jobId}: ${life.name} still ${life.lastState} on ${life.sim} after the job ended ${job.status.state}`);
    orphans.set(job.jobId, list);
  }
  for (const job of ctx.jobs.values()) tally.unit([...(overlaps.get(job.jobId) ?? []), ...(orphans.get(job.jobId) ?? [])]);
  return tally;
}

function foreignUntouched(ctx: ScenarioContext, requests: Array<RequestLogEntry & { sim: string }>): Tally {
  const tally = new Tally(ctx.foreignNames.size > 0);
  for (const name of ctx.foreignNames) {
    const problems: string[] = [];
    for (const r of requests) {
      if (r.batchName === name && r.method !== 'POST' && r.method !== 'GET') problems.push(`${name}: ${r.method} ${r.path} on ${r.sim} (answered ${r.status})`);
    }
    for (const life of ctx.observer.lifeOf(name)) {
      if (life.lastState === 'killed') problems.push(`${name}: killed on ${life.sim}`);
      else if (life.gone) problems.push(`${name}: erased from ${life.sim}`);
    }
    tally.unit(problems);
  }
  return tally;
}

export interface SecretScan {
  surfaces: number;
  leaks: string[];
  scannerWorks: boolean;
}

export function checkInvariants(ctx: ScenarioContext, scan: SecretScan): Verdict {
  const requests = ctx.requests();
  const posts = byJob(requests, 'POST');
  const deletes = byJob(requests, 'DELETE');
  const finalStates = new Tally();
  const postTally = new Tally();
  const deleteTally = new Tally();
  for (const job of ctx.jobs.values()) {
    finalStates.unit(finalState(job));
    // A wedged job answers no query: its status is the server's outline, without attempts to judge
    // its Livy calls by. Its final state already fails; its POSTs and DELETEs are not judged again.
    if (isWedged(job)) continue;
    postTally.unit(postsPerAttempt(ctx, job, posts.get(job.jobId) ?? []));
    deleteTally.unit(deletesPerTable(ctx, job, deletes.get(job.jobId) ?? []));
  }
  const secretProblems = [...(scan.scannerWorks ? [] : ['the scanner cannot find the secret in a planted sample']), ...scan.leaks];
  const checks = new Tally(ctx.checks.size > 0);
  for (const [name, t] of ctx.checks) {
    for (let i = 0; i < t.passed; i++) checks.pass();
    for (let i = 0; i < t.total - t.passed; i++) checks.fail(`${name}: ${t.failures[i] ?? `${t.passed}/${t.total} passed`}`);
  }
  return {
    finalStates: finalStates.result(),
    postsPerAttempt: postTally.result(),
    deletes: deleteTally.result(),
    oneLiveAttempt: liveAttempts(ctx).result(),
    foreignUntouched: foreignUntouched(ctx, requests).result(),
    secretLeaks: { applies: true, checked: scan.surfaces, failed: secretProblems.length, examples: secretProblems },
    checks: checks.result(),
  };
}
