/**
 * What a chaos scenario is given: its own task queue, simulators (watched by the observer), real
 * worker processes, a ShaleClient, and a registry of the jobs it started with what each must end as.
 * The runner (runner.ts) drains the jobs afterwards and checks the invariants on all of them.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { JobState, JobStatus } from '../../../contract';
import { startLivySimulator, type LivySimulator, type LivySimulatorOptions, type RequestLogEntry } from '../../../dev/livy-sim';
import { ShaleClient } from '../../../client/shaleClient';
import type { WorkerConfigInput } from '../../../worker/config';
import { RUN_DIR as BENCH_RUN_DIR, spawnShaleWorker, type WorkerProcess } from '../../stack';
import type { ChaosSizes, Mode } from '../sizes';
import { LivyObserver } from './observer';
import { SECRET_ENV, type ScanSurface } from './secrets';
import type { ChaosStack } from './stack';

/** What one job must end as; the generic invariants (POST, DELETE, live, foreign, secret) apply to every job. */
export interface JobPlan {
  /** The kind of job within the scenario, e.g. "app-retry" or "cancel RUNNING via update". */
  label: string;
  /** Final states that are right for it. */
  expect: readonly JobState[];
  /** At most this many attempts (e.g. 1: a succeeded app is never run again). */
  maxAttempts?: number;
  /** The cancellation table says no Livy call at all for it (cancel before submission). */
  noLivyCalls?: boolean;
  /** The cancellation table says no DELETE for it (cancel between attempts, after the end, a second time). */
  noDeletes?: boolean;
}

export interface TrackedJob {
  jobId: string;
  plan: JobPlan;
  submittedAt: number;
  /** Filled in by the runner. */
  status?: JobStatus;
  statusError?: string;
  executionStatus?: string;
  /** Workflow task failures in its history, by cause. */
  taskFailures?: Record<string, number>;
}

export interface CheckTally {
  passed: number;
  total: number;
  failures: string[];
}

export interface ChaosWorker {
  label: string;
  process: WorkerProcess;
  logFile: string;
  alive: boolean;
}

export interface ClusterEntry {
  id: string;
  livyUrl: string;
  resourceManagerUrl?: string;
  sparkVersion?: '2' | '3';
  pool?: string;
}

/** A static cluster on a simulator: Livy and YARN's ResourceManager answer on its port. */
export function simCluster(id: string, sim: LivySimulator, pool = 'default'): ClusterEntry {
  return { id, livyUrl: sim.url, resourceManagerUrl: sim.url, sparkVersion: '3', pool };
}

/**
 * Livy settings for short simulated jobs: fresh states, quick timeouts. No failover bound: an
 * unreachable Livy is waited for (the unreachable-failover scenario sets one).
 */
export const CHAOS_LIVY = { pollIntervalMs: 250, requestTimeoutMs: 1000, authHeaderFromEnv: SECRET_ENV } as const;

export function chaosWorkerConfig(taskQueue: string, clusters: readonly ClusterEntry[], overrides: Partial<WorkerConfigInput> = {}): WorkerConfigInput {
  return {
    temporal: { taskQueue },
    clusters: clusters.map((c) => ({ ...c })),
    livy: { ...CHAOS_LIVY },
    clusterHealth: { submissionsPerSecond: 200, submissionBurst: 200 },
    worker: { heartbeatIntervalMs: 1000, shutdownGraceSeconds: 2, logLevel: 'INFO' },
    ...overrides,
  };
}

let workerCounter = 0;

export class ScenarioContext {
  readonly observer = new LivyObserver(100);
  readonly sims: Array<{ label: string; sim: LivySimulator }> = [];
  readonly workers: ChaosWorker[] = [];
  readonly jobs = new Map<string, TrackedJob>();
  readonly checks = new Map<string, CheckTally>();
  readonly scanTexts: ScanSurface[] = [];
  /** Batches another Livy client made; Shale must never touch them. */
  readonly foreignNames = new Set<string>();
  /** Requests the harness itself made (look-ups), so they are not taken for Shale's. */
  harnessRequests = 0;
  private workerConfig?: WorkerConfigInput;
  readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    readonly mode: Mode,
    readonly size: ChaosSizes,
    readonly stack: ChaosStack,
    readonly taskQueue: string,
    readonly client: ShaleClient,
  ) {}

  static async create(name: string, mode: Mode, size: ChaosSizes, stack: ChaosStack): Promise<ScenarioContext> {
    const taskQueue = `chaos-${name}-${Date.now().toString(36)}`;
    const client = await ShaleClient.connect({ connection: stack.connection, taskQueue, identity: `chaos@${name}` });
    return new ScenarioContext(name, mode, size, stack, taskQueue, client);
  }

  step(what: string): void {
    const t = ((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`chaos [${this.name} +${t}s] ${what}\n`);
  }

  /**
   * A simulated Livy server (one per cluster), watched by the observer and closed after the scenario.
   * It holds `foreign` long-running batches of another Livy client from the start (default 1), which
   * Shale must never touch.
   */
  async livy(label: string, options: LivySimulatorOptions = {}, { foreign = 1 } = {}): Promise<LivySimulator> {
    const sim = await startLivySimulator({ name: label, startingMs: 100, defaultDurationMs: 1000, maxInFlightSubmits: 10_000, ...options });
    this.sims.push({ label, sim });
    this.observer.watch(label, sim);
    for (let i = 0; i < foreign; i++) await this.foreignPost(sim, `foreign-${label}-${i}`);
    return sim;
  }

  /** Every batch API request every simulator of the scenario logged, with the simulator's label. */
  requests(): Array<RequestLogEntry & { sim: string }> {
    return this.sims.flatMap(({ label, sim }) => sim.requests().map((r) => ({ ...r, sim: label })));
  }

  /** A real worker process on the scenario's task queue; the config is kept for restarts. */
  async startWorker(config?: WorkerConfigInput): Promise<ChaosWorker> {
    if (config) this.workerConfig = config;
    if (!this.workerConfig) throw new Error('chaos: startWorker needs a config the first time');
    const label = `chaos-${this.name}-w${++workerCounter}`;
    const process = await spawnShaleWorker(this.stack, label, this.workerConfig);
    const worker: ChaosWorker = { label, process, logFile: join(BENCH_RUN_DIR, `${label}.log`), alive: true };
    this.workers.push(worker);
    return worker;
  }

  hasLiveWorker(): boolean {
    return this.workers.some((w) => w.alive);
  }

  /** SIGKILL (a crash) or SIGTERM (a graceful stop); resolves once the process has exited. */
  async stopWorker(worker: ChaosWorker, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    if (!worker.alive) return;
    worker.alive = false;
    if (signal === 'SIGKILL') process.kill(worker.process.pid, 'SIGKILL');
    await worker.process.stop();
  }

  async stopAllWorkers(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    await Promise.all(this.workers.filter((w) => w.alive).map((w) => this.stopWorker(w, signal)));
  }

  track(jobId: string, plan: JobPlan): TrackedJob {
    const job: TrackedJob = { jobId, plan, submittedAt: Date.now() };
    this.jobs.set(jobId, job);
    return job;
  }

  /** Submits through ShaleClient (validated at the edge, as a caller would) and tracks the job. */
  async submit(spec: Record<string, unknown>, plan: JobPlan): Promise<string> {
    const { jobId } = await this.client.submit(spec);
    this.track(jobId, plan);
    return jobId;
  }

  handle(jobId: string): WorkflowHandle {
    return this.client.temporal.workflow.getHandle(jobId);
  }

  /** Records one scenario-specific check (e.g. "cancel answered"): tallied into the table's checks column. */
  check(name: string, ok: boolean, detail?: string): void {
    const tally = this.checks.get(name) ?? { passed: 0, total: 0, failures: [] };
    tally.total += 1;
    if (ok) tally.passed += 1;
    else if (detail) tally.failures.push(detail);
    this.checks.set(name, tally);
  }

  /** A text the secret scan must cover (CLI output, …). */
  scan(label: string, text: string): void {
    this.scanTexts.push({ label, text });
  }

  async workerLogs(): Promise<ScanSurface[]> {
    return Promise.all(this.workers.map(async (w) => ({ label: `worker log ${w.label}`, text: await readFile(w.logFile, 'utf8').catch(() => '') })));
  }

  /** A Livy client that is not Shale: its batches are "foreign" (named foreign-*), and never carry our auth. */
  async foreignPost(sim: LivySimulator, name: string, conf: Record<string, string> = { 'shale.sim.durationMs': '600000' }): Promise<number> {
    // Its own connection each time: a pooled one would be dead after a simulator restart.
    const body = JSON.stringify({ file: 's3://someone-else/app.py', name, conf });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        `${sim.url}/batches`,
        { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-requested-by': 'someone-else', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (data += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    this.harnessRequests += 1;
    if (status !== 201) throw new Error(`foreign POST ${name} answered ${status}: ${text}`);
    this.foreignNames.add(name);
    return (JSON.parse(text) as { id: number }).id;
  }

  async teardown(): Promise<void> {
    this.observer.stop();
    await this.stopAllWorkers('SIGTERM');
    for (const { sim } of this.sims) {
      this.observer.closed(sim);
      await sim.close();
    }
    await this.client.close();
  }
}
