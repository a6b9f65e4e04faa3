/**
 * The activities, built from their dependencies so tests can inject fakes and the worker can
 * share one Livy pool and one batch watcher across every job it runs.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ErrorType,
  isTerminalBatchState,
  type BatchRef,
  type BatchSnapshot,
  type ClusterChoice,
  type KillResult,
  type ReconcileInput,
  type RouteInput,
  type ShaleActivities,
  type SubmitInput,
  type SubmitResult,
  type WaitInput,
} from '../contract';
import { ClusterLostError, type Cluster, type ClusterDirectory } from './clusters/cluster';
import type { CircuitBreakers } from './clusters/breaker';
import type { SubmissionRateLimiter } from './clusters/rateLimiter';
import { sizePolicyViolation, type TeamSizePolicy } from './sizePolicy';
import { LOST_EMR_STATES } from './clusters/emrClusters';
import type { HealthProbe } from './clusters/health';
import { candidateGroups } from './clusters/routing';
import { translatingErrors } from './failures';
import { whileHeartbeating } from './heartbeat';
import { buildBatchRequest, type BatchRequestSettings } from './livy/batchRequest';
import { confirmOurBatch, type BatchWatcher } from './livy/batchWatcher';
import type { LivyClient, LivyClients } from './livy/client';
import { isLivyError } from './livy/errors';
import { isSameBatch, toSnapshot } from './livy/snapshot';
import type { LivyBatch } from './livy/types';

export interface ActivityDeps {
  clusters: ClusterDirectory;
  livy: LivyClients;
  watcher: BatchWatcher;
  health: HealthProbe;
  batchSettings: BatchRequestSettings;
  heartbeatIntervalMs?: number;
  /** Lines of Livy's log kept on the job once the batch ends. */
  logTailLines?: number;
  /** How often a waiting job checks its cluster's EMR state (where known). */
  clusterCheckIntervalMs?: number;
  breakers?: CircuitBreakers;
  rateLimiter?: SubmissionRateLimiter;
  /** Per-team sizing caps, by team name ('*' for everyone else). */
  teams?: Record<string, TeamSizePolicy>;
}

/** Failures that say the cluster, not the job, is in trouble: they count against its breaker. */
function countsAgainstCluster(err: unknown): boolean {
  if (err instanceof ClusterLostError) return true;
  return isLivyError(err) && (err.kind === 'unreachable' || err.kind === 'server-error' || err.kind === 'capacity');
}

async function findByName(client: LivyClient, name: string): Promise<LivyBatch | undefined> {
  const batch = await client.findBatch(name);
  return batch?.name === name ? batch : undefined;
}

export function createActivities(deps: ActivityDeps): ShaleActivities {
  const heartbeatMs = deps.heartbeatIntervalMs ?? 10_000;
  const tailLines = deps.logTailLines ?? 50;

  async function logTail(client: LivyClient, batchId: number): Promise<string[] | undefined> {
    try {
      return (await client.getLog(batchId, tailLines)).log;
    } catch {
      return undefined; // the log is a convenience; never fail an activity over it
    }
  }

  /** Rule 1: look the attempt's name up first, adopt it if present, else POST (rate-limited per cluster). */
  async function submitOnce(client: LivyClient, input: SubmitInput): Promise<SubmitResult> {
    const existing = await findByName(client, input.batchName);
    if (existing) return { ...toSnapshot(existing), adopted: true };
    const request = buildBatchRequest(input.spec, input.batchName, deps.batchSettings);
    await deps.rateLimiter?.take(input.cluster);
    try {
      return { ...toSnapshot(await client.createBatch(request)), adopted: false };
    } catch (err) {
      // Someone (an earlier try whose answer we lost) created it between our GET and POST.
      if (!isLivyError(err, 'duplicate-name')) throw err;
      const again = await findByName(client, input.batchName);
      if (again) return { ...toSnapshot(again), adopted: true };
      throw err;
    }
  }

  /** Health as routing sees it: an open breaker keeps a cluster out; a good probe closes a half-open one. */
  async function checkCluster(cluster: Cluster) {
    const position = deps.breakers?.position(cluster.id) ?? 'closed';
    if (position === 'open') {
      const until = new Date(deps.breakers!.reopensAt(cluster.id)!).toISOString();
      return { healthy: false, load: 0, detail: `circuit open after repeated infra failures, until ${until}` };
    }
    // The probe that may close a half-open breaker must be a fresh one, not an answer cached before the failures.
    if (position === 'half-open') deps.health.invalidate(cluster.id);
    const health = await deps.health.check(cluster);
    if (position === 'half-open' && health.healthy) deps.breakers!.recordSuccess(cluster.id);
    return health;
  }

  return {
    async routeJob(input: RouteInput): Promise<ClusterChoice> {
      const clusters = await deps.clusters.list();
      const groups = candidateGroups(clusters, input.route, input.exclude);
      if (groups.length === 0) {
        const known = clusters.map((c) => `${c.id}(spark ${c.sparkVersion ?? '?'}${c.pool ? `, pool ${c.pool}` : ''})`).join(', ');
        throw ApplicationFailure.create({
          type: ErrorType.NoMatchingCluster,
          message: `no cluster matches the job's route${input.exclude.length ? ` (excluding lost ${input.exclude.join(', ')})` : ''}; known clusters: ${known || 'none'}`,
          nonRetryable: true,
        });
      }
      const unhealthy: string[] = [];
      for (const group of groups) {
        const checked = await Promise.all(group.clusters.map(async (c) => ({ c, h: await checkCluster(c) })));
        const healthy = checked.filter((x) => x.h.healthy).sort((a, b) => a.h.load - b.h.load);
        const best = healthy[0];
        if (best) {
          const why = healthy.length > 1 ? `least loaded of ${healthy.length} healthy` : 'the only healthy match';
          return { cluster: best.c.id, livyUrl: best.c.livyUrl, reason: `${group.label}: ${best.c.id}, ${why}` };
        }
        unhealthy.push(...checked.map((x) => `${x.c.id}: ${x.h.detail}`));
      }
      // Retryable: the workflow keeps asking until timeouts.queue.
      throw ApplicationFailure.create({
        type: ErrorType.NoHealthyCluster,
        message: `no healthy cluster for the route: ${unhealthy.join('; ')}`,
      });
    },

    async submitBatch(input: SubmitInput): Promise<SubmitResult> {
      const violation = sizePolicyViolation(input.spec, deps.teams ?? {}, deps.batchSettings.sizes);
      if (violation) throw ApplicationFailure.create({ type: ErrorType.PolicyViolation, message: violation, nonRetryable: true });
      const client = deps.livy.for(input.livyUrl);
      return translatingErrors(async () => {
        try {
          const result = await submitOnce(client, input);
          deps.breakers?.recordSuccess(input.cluster);
          return result;
        } catch (err) {
          if (countsAgainstCluster(err)) deps.breakers?.recordFailure(input.cluster);
          throw err;
        }
      });
    },

    /** Rule 2: returns on the next state change, or after the window with the state unchanged. */
    async waitForBatchChange(input: WaitInput): Promise<BatchSnapshot> {
      const ctx = Context.current();
      const client = deps.livy.for(input.livyUrl);
      const abort = new AbortController();
      ctx.cancellationSignal.addEventListener('abort', () => abort.abort(ctx.cancellationSignal.reason), { once: true });
      const window = setTimeout(() => abort.abort('window'), input.windowSeconds * 1000);
      // A terminated cluster gives no signal through Livy: watch its EMR state beside the batch.
      const stateOf = deps.clusters.stateOf?.bind(deps.clusters);
      const watchdog = stateOf
        ? setInterval(async () => {
            const emrState = await stateOf(input.cluster);
            if (emrState && LOST_EMR_STATES.has(emrState)) {
              abort.abort(new ClusterLostError(`cluster ${input.cluster} is ${emrState}; batch ${input.batchName} went with it`));
            }
          }, deps.clusterCheckIntervalMs ?? 15_000)
        : undefined;
      const waitOnce = async (): Promise<BatchSnapshot> => {
        let snapshot: BatchSnapshot;
        try {
          snapshot = await deps.watcher.waitForChange(input.livyUrl, input.batchId, input.batchName, input.knownState, abort.signal);
        } catch (err) {
          if (abort.signal.reason !== 'window') throw err;
          snapshot = toSnapshot(await confirmOurBatch(client, input.batchId, input.batchName));
        }
        if (isTerminalBatchState(snapshot.state)) snapshot.log = (await logTail(client, input.batchId)) ?? snapshot.log;
        return snapshot;
      };
      return whileHeartbeating(heartbeatMs, () => ({ knownState: input.knownState }), () =>
        translatingErrors(
          () =>
            waitOnce().catch((err) => {
              if (countsAgainstCluster(err)) deps.breakers?.recordFailure(input.cluster);
              throw err;
            }),
          // Past the watcher's grace period an unreachable Livy is the workflow's to handle (cluster loss).
          { nonRetryable: true },
        ),
      ).finally(() => {
        clearTimeout(window);
        clearInterval(watchdog);
      });
    },

    async reconcileBatch(input: ReconcileInput): Promise<BatchSnapshot | undefined> {
      const batch = await translatingErrors(() => findByName(deps.livy.for(input.livyUrl), input.batchName));
      return batch && toSnapshot(batch);
    },

    /** Rule 4: read the state, DELETE only a live batch that is ours, then confirm it is gone. */
    async killBatch(ref: BatchRef): Promise<KillResult> {
      const client = deps.livy.for(ref.livyUrl);
      return whileHeartbeating(heartbeatMs, () => ({ batchId: ref.batchId }), () =>
        translatingErrors(async () => {
          const batch = await client.findBatch(ref.batchId);
          if (!isSameBatch(batch, ref.batchId, ref.batchName)) return { stateBefore: 'gone', deleted: false };
          const log = await logTail(client, ref.batchId);
          // DELETE erases Livy's record: a finished batch is left alone so its outcome stays readable.
          if (isTerminalBatchState(batch.state)) return { stateBefore: batch.state, deleted: false, log };
          await client.deleteBatch(ref.batchId).catch((err) => {
            if (!isLivyError(err, 'not-found')) throw err;
          });
          const after = await client.findBatch(ref.batchId);
          if (isSameBatch(after, ref.batchId, ref.batchName)) {
            throw new Error(`batch ${ref.batchId} is still there after DELETE (state ${after.state})`);
          }
          return { stateBefore: batch.state, deleted: true, log };
        }),
      );
    },
  };
}
