/**
 * Runs one scenario: its run() drives load and faults; then every job it started is drained (waited
 * for, with a deadline), its status and histories collected, whatever is still open terminated,
 * and the invariants checked. A scenario that throws is reported, never stops the suite.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
// The proto package is CommonJS: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import { fetchJobHistories } from '../../../client/audit';
import { WORKFLOW_TYPE } from '../../../contract';
import { countWorkflows } from '../../visibility';
import type { Mode, ChaosSizes } from '../sizes';
import { checkInvariants, type Verdict } from './invariants';
import { ScenarioContext } from './scenario';
import { decodedPayloads } from '../../../test/support/secretScan';
import { scanForSecret, scannerFindsTheSecret, type ScanSurface } from './secrets';
import type { ChaosStack } from './stack';

const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

export interface ScenarioDefinition {
  name: string;
  /** One line: what is done to the system. */
  what: string;
  /** How long its jobs may take to close once run() has returned. */
  drainTimeoutMs(size: ChaosSizes): number;
  run(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioResult {
  scenario: string;
  what: string;
  jobs: number;
  durationSeconds: number;
  /** run() threw: the scenario could not do what it meant to (its invariants are still checked on what ran). */
  error?: string;
  /** Jobs still open at the drain deadline (terminated afterwards). */
  stillOpen: number;
  verdict: Verdict;
  jobStates: Record<string, number>;
  observerSamples: number;
  /** Batches the observer saw across the scenario's simulators (0 would mean it saw nothing). */
  batchesSeen: number;
  jobsDetail: Array<{ jobId: string; label: string; state?: string; attempts?: number; lastError?: string; taskFailures?: Record<string, number> }>;
}

/** Polls until no job of the task queue is open, or the deadline; returns how many are still open. */
export async function drain(ctx: ScenarioContext, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let open = Infinity;
  let lastReport = 0;
  for (;;) {
    // Jobs only: a sweeper a job started may rightly outlive it.
    open = await countWorkflows(ctx.client.temporal, ctx.taskQueue, `ExecutionStatus="Running" AND WorkflowType="${WORKFLOW_TYPE}"`).catch(() => open);
    if (open === 0 || Date.now() > deadline) return open;
    if (Date.now() - lastReport > 15_000) {
      ctx.step(`waiting for ${open} open job(s) to end (${Math.round((deadline - Date.now()) / 1000)} s left)`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function taskFailureCauses(histories: Awaited<ReturnType<typeof fetchJobHistories>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { history } of histories) {
    for (const e of history.events ?? []) {
      if (e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) continue;
      const cause = WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes?.cause ?? 0] ?? 'UNKNOWN';
      const short = String(cause).replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '');
      out[short] = (out[short] ?? 0) + 1;
    }
  }
  return out;
}

/** Status, execution status, histories (scanned for the secret) and task failures of every tracked job. */
async function collect(ctx: ScenarioContext, surfaces: ScanSurface[]): Promise<void> {
  const jobs = [...ctx.jobs.values()];
  for (let i = 0; i < jobs.length; i += 16) {
    await Promise.all(
      jobs.slice(i, i + 16).map(async (job) => {
        try {
          job.status = await ctx.client.status(job.jobId);
          surfaces.push({ label: `status ${job.jobId}`, text: JSON.stringify(job.status) });
        } catch (err) {
          job.statusError = (err as Error).message;
        }
        try {
          job.executionStatus = (await ctx.handle(job.jobId).describe()).status.name;
          const histories = await fetchJobHistories(ctx.client.temporal, job.jobId);
          job.taskFailures = taskFailureCauses(histories);
          for (const { runId, history } of histories) {
            const json = historyToJSON(history);
            surfaces.push({ label: `history ${job.jobId}/${runId}`, text: json });
            for (const text of decodedPayloads(JSON.parse(json))) surfaces.push({ label: `history payload ${job.jobId}/${runId}`, text });
          }
        } catch (err) {
          job.statusError ??= `history: ${(err as Error).message}`;
        }
      }),
    );
  }
}

export async function runScenario(def: ScenarioDefinition, stack: ChaosStack, mode: Mode, size: ChaosSizes): Promise<ScenarioResult> {
  const ctx = await ScenarioContext.create(def.name, mode, size, stack);
  ctx.step(def.what);
  ctx.observer.start();
  let error: string | undefined;
  let stillOpen = 0;
  const surfaces: ScanSurface[] = [];
  try {
    try {
      await def.run(ctx);
    } catch (err) {
      error = (err as Error).stack ?? String(err);
      ctx.step(`scenario error: ${(err as Error).message}`);
    }
    try {
      // Jobs need a worker to end, and a running job's status is a query.
      if (!ctx.hasLiveWorker() && ctx.jobs.size > 0) await ctx.startWorker();
      stillOpen = await drain(ctx, def.drainTimeoutMs(size));
      ctx.observer.takeFinalSample();
      ctx.step(`collecting ${ctx.jobs.size} job(s)${stillOpen ? `; ${stillOpen} still open` : ''}`);
      await collect(ctx, surfaces);
      for (const job of ctx.jobs.values()) {
        if (job.executionStatus === 'RUNNING') await ctx.handle(job.jobId).terminate('chaos: still open at the drain deadline').catch(() => undefined);
      }
    } catch (err) {
      // Whatever was collected is still judged; the scenario is reported as not having run through.
      error = `${error ? `${error}\n` : ''}after the run: ${(err as Error).stack ?? String(err)}`;
      ctx.step(`error while draining or collecting: ${(err as Error).message}`);
    }
  } finally {
    await ctx.teardown();
  }
  // Worker logs are complete once the workers are gone.
  surfaces.push(...(await ctx.workerLogs()), ...ctx.scanTexts);
  const verdict = checkInvariants(ctx, { surfaces: surfaces.length, leaks: scanForSecret(surfaces), scannerWorks: scannerFindsTheSecret() });
  const jobStates: Record<string, number> = {};
  for (const job of ctx.jobs.values()) {
    const state = job.status?.state ?? 'NO STATUS';
    jobStates[state] = (jobStates[state] ?? 0) + 1;
  }
  return {
    scenario: def.name,
    what: def.what,
    jobs: ctx.jobs.size,
    durationSeconds: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
    ...(error ? { error } : {}),
    stillOpen,
    verdict,
    jobStates,
    observerSamples: ctx.observer.samples,
    batchesSeen: ctx.observer.all().length,
    jobsDetail: [...ctx.jobs.values()].map((j) => ({
      jobId: j.jobId,
      label: j.plan.label,
      state: j.status?.state,
      attempts: j.status?.attempts.length,
      ...(j.status?.lastError ? { lastError: `${j.status.lastError.type}: ${j.status.lastError.message}` } : {}),
      ...(j.taskFailures && Object.keys(j.taskFailures).length ? { taskFailures: j.taskFailures } : {}),
    })),
  };
}

/** The row of a scenario that could not be set up at all. */
export function failedToRun(def: ScenarioDefinition, err: unknown): ScenarioResult {
  const none = { applies: false, checked: 0, failed: 0, examples: [] };
  return {
    scenario: def.name,
    what: def.what,
    jobs: 0,
    durationSeconds: 0,
    error: (err as Error)?.stack ?? String(err),
    stillOpen: 0,
    verdict: { finalStates: none, postsPerAttempt: none, deletes: none, oneLiveAttempt: none, foreignUntouched: none, secretLeaks: none, checks: none },
    jobStates: {},
    observerSamples: 0,
    batchesSeen: 0,
    jobsDetail: [],
  };
}
