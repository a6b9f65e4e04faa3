/**
 * The activities, built from their dependencies so tests can inject fakes and the worker can
 * share one Livy pool and one batch watcher across every job it runs.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
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
  type ValidatedJob,
  type ValidateJobInput,
  type WaitInput,
} from '../contract';
import { ClusterLostError, type Cluster, type ClusterDirectory } from './clusters/cluster';
import type { CircuitBreakers } from './clusters/breaker';
import type { SubmissionRateLimiter } from './clusters/rateLimiter';
import { LOST_EMR_STATES } from './clusters/emrClusters';
import type { HealthProbe } from './clusters/health';
import { isTerminated, resolveCluster } from './clusters/resolve';
import { candidateGroups } from './clusters/routing';
import { translatingErrors } from './failures';
import { whileHeartbeating } from './heartbeat';
import { buildBatchRequest, type BatchRequestSettings } from './livy/batchRequest';
import { BatchLostError, confirmOurBatch, type BatchWatcher } from './livy/batchWatcher';
import type { LivyClient, LivyClients } from './livy/client';
import { isLivyError, LivyError } from './livy/errors';
import { withoutMarkers } from '../contract/livyLog';
import { toSnapshot } from './livy/snapshot';
import type { LivyBatch } from './livy/types';
import { policyViolation, type TeamPolicy } from './policy/teamPolicy';
import { createJobValidation } from './validateJob';
import { batchStateFromYarn, type ResourceManagers, type YarnApp } from './yarn/resourceManager';

export interface ActivityDeps {
  clusters: ClusterDirectory;
  livy: LivyClients;
  watcher: BatchWatcher;
  health: HealthProbe;
  batchSettings: BatchRequestSettings;
  /** YARN ResourceManager clients, for batches Livy has forgotten (rule 5). */
  yarn?: ResourceManagers;
  heartbeatIntervalMs?: number;
  /** Lines of Livy's log kept on the job once the batch ends. */
  logTailLines?: number;
  /** How often a waiting job checks its cluster's EMR state (where known). */
  clusterCheckIntervalMs?: number;
  /**
   * How long a Livy may stay unreachable before a job gives up on it and fails over (its batch then
   * handed to the sweeper). Unset: jobs wait for it, bounded by their own timeouts.
   */
  failoverAfterUnreachableMs?: number;
  /** Livy's request timeout: a POST goes out only if its answer can come back before the activity's deadline. */
  livyRequestTimeoutMs?: number;
  breakers?: CircuitBreakers;
  rateLimiter?: SubmissionRateLimiter;
  /** Per-team policy (sizing caps, allowed conf and proxy users), by team name ('*' for everyone else). */
  teams?: Record<string, TeamPolicy>;
}

/** Failures that say the cluster, not the job, is in trouble: they count against its breaker. Capacity is back-pressure, not trouble. */
function countsAgainstCluster(err: unknown): boolean {
  if (err instanceof ClusterLostError) return true;
  return isLivyError(err) && (err.kind === 'unreachable' || err.kind === 'server-error');
}

/** Errors about the endpoint (it does not answer, or answers 5xx), as opposed to answers about the batch. */
function isEndpointTrouble(err: unknown): boolean {
  return isLivyError(err) && (err.kind === 'unreachable' || err.kind === 'server-error');
}

async function findByName(client: LivyClient, name: string): Promise<LivyBatch | undefined> {
  const batch = await client.findBatch(name);
  return batch?.name === name ? batch : undefined;
}

/**
 * A kill's steps are each retried for a while when Livy fails them (5xx, a dropped connection): on a
 * flaky Livy, a kill that needs three answers in a row would otherwise rarely get them, and the
 * batch would be left to the sweeper. A Livy that does not answer at all is given up on at the bound.
 */
const KILL_STEP_PERSISTENCE_MS = 8_000;

function persistently(untilMs: number) {
  return async <T>(work: () => Promise<T>): Promise<T> => {
    for (let tries = 0; ; tries++) {
      try {
        return await work();
      } catch (err) {
        if (!isEndpointTrouble(err) || Date.now() >= untilMs || Context.current().cancellationSignal.aborted) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * 2 ** tries)));
      }
    }
  };
}

function yarnSnapshot(batchName: string, app: YarnApp): BatchSnapshot {
  return { batchName, state: batchStateFromYarn(app), appId: app.appId, log: app.diagnostics ? [app.diagnostics] : undefined, source: 'yarn' };
}

export function createActivities(deps: ActivityDeps): ShaleActivities {
  const heartbeatMs = deps.heartbeatIntervalMs ?? 10_000;
  const tailLines = deps.logTailLines ?? 50;
  const validation = createJobValidation({ teams: deps.teams ?? {}, sizes: deps.batchSettings.sizes });

  async function logTail(client: LivyClient, batchName: string): Promise<string[] | undefined> {
    try {
      // The app's lines only: Livy's section markers are not log lines (BatchSnapshot.log).
      return withoutMarkers((await client.getLog(batchName, tailLines)).log);
    } catch {
      return undefined; // the log is a convenience; never fail an activity over it
    }
  }

  async function findOnYarn(cluster: Cluster, batchName: string): Promise<YarnApp | undefined> {
    if (!deps.yarn || !cluster.resourceManagerUrl) return undefined;
    return deps.yarn.for(cluster.resourceManagerUrl).findAppByTag(batchName);
  }

  /**
   * Rule 1: look the attempt's name up first, adopt it if present, else POST (rate-limited per
   * cluster). Nothing is POSTed once the activity is cancelled or too close to its deadline for
   * the answer to come back in time.
   */
  async function submitOnce(client: LivyClient, input: SubmitInput, requestTimeoutMs: number): Promise<SubmitResult> {
    const ctx = Context.current();
    const existing = await findByName(client, input.batchName);
    if (existing) return { ...toSnapshot(existing), adopted: true };
    const request = buildBatchRequest(input.spec, input.batchName, deps.batchSettings);
    await deps.rateLimiter?.take(input.cluster, ctx.cancellationSignal);
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('cancelled before the POST');
    const deadline = ctx.info.currentAttemptScheduledTimestampMs + ctx.info.startToCloseTimeoutMs;
    if (Date.now() + requestTimeoutMs > deadline) {
      // Retryable, but no evidence against Livy (it answered the look-up): no breaker strike, no failover.
      throw ApplicationFailure.create({
        type: ErrorType.LivyUnreachable,
        message: `not enough time left in this try to POST ${input.batchName} and hear the answer`,
      });
    }
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

  /** Past the deployment's bound, an unreachable Livy is given up on (non-retryable); before it, it is waited for. */
  function unreachableFor(sinceMs: number | undefined): Error | undefined {
    const bound = deps.failoverAfterUnreachableMs;
    if (bound === undefined || sinceMs === undefined || Date.now() - sinceMs < bound) return undefined;
    return new LivyError('unreachable', `Livy has not answered for ${Math.round((Date.now() - sinceMs) / 1000)}s, past livy.failoverAfterUnreachableSeconds`);
  }

  async function waitOnYarn(cluster: Cluster, input: WaitInput, signal: AbortSignal): Promise<BatchSnapshot> {
    for (;;) {
      const app = await findOnYarn(cluster, input.batchName);
      if (!app) throw new BatchLostError(`batch ${input.batchName} is lost: neither Livy nor YARN knows it any more`);
      const snapshot = yarnSnapshot(input.batchName, app);
      if (snapshot.state !== input.knownState || signal.aborted) return snapshot;
      await new Promise<void>((resolve) => {
        // One abort listener at a time: removed when the pause ends, or one would be left per poll.
        const done = () => (clearTimeout(timer), signal.removeEventListener('abort', done), resolve());
        const timer = setTimeout(done, deps.clusterCheckIntervalMs ?? 15_000);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  return {
    validateJob(input: ValidateJobInput): Promise<ValidatedJob> {
      return validation.validateJob(input);
    },

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
          return {
            cluster: best.c.id,
            ...(best.c.name ? { clusterName: best.c.name } : {}),
            livyUrl: best.c.livyUrl,
            reason: `${group.label}: ${best.c.id}${best.c.name ? ` (${best.c.name})` : ''}, ${why}`,
          };
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
      const violation = policyViolation(input.spec, deps.teams ?? {}, deps.batchSettings.sizes);
      if (violation) throw ApplicationFailure.create({ type: ErrorType.PolicyViolation, message: violation, nonRetryable: true });
      const ctx = Context.current();
      return whileHeartbeating(Math.min(heartbeatMs, 5_000), () => ({ batchName: input.batchName }), () =>
        translatingErrors(async () => {
          const cluster = await resolveCluster(deps.clusters, input.cluster);
          try {
            const result = await submitOnce(deps.livy.for(cluster.livyUrl), input, deps.livyRequestTimeoutMs ?? 15_000);
            deps.breakers?.recordSuccess(input.cluster);
            return result;
          } catch (err) {
            if (countsAgainstCluster(err)) deps.breakers?.recordFailure(input.cluster);
            if (isEndpointTrouble(err)) {
              // Unhealthy, not lost: retried (the name makes that safe) until EMR says the cluster is gone or the bound passes.
              if (await isTerminated(deps.clusters, input.cluster)) throw new ClusterLostError(`cluster ${input.cluster} is terminated; ${(err as Error).message}`);
              const givenUp = unreachableFor(ctx.info.scheduledTimestampMs);
              if (givenUp) throw ApplicationFailure.create({ type: ErrorType.LivyUnreachable, message: `${givenUp.message}: ${(err as Error).message}`, nonRetryable: true });
            }
            throw err;
          }
        }),
      );
    },

    /** Rule 2: returns on the next state change, or after the window with the state unchanged. */
    async waitForBatchChange(input: WaitInput): Promise<BatchSnapshot> {
      const ctx = Context.current();
      const abort = new AbortController();
      ctx.cancellationSignal.addEventListener('abort', () => abort.abort(ctx.cancellationSignal.reason), { once: true });
      const window = setTimeout(() => abort.abort('window'), input.windowSeconds * 1000);
      // An outage counts from this wait's start at the earliest: the watcher's record of an outage may
      // predate it (nobody polled since), and a Livy that answers again must not be given up on at once.
      const startedAt = Date.now();
      const outageSince = (livyUrl: string) => {
        const since = deps.watcher.endpointHealth(livyUrl).unreachableSinceMs;
        return since === undefined ? undefined : Math.max(since, startedAt);
      };
      const checks: NodeJS.Timeout[] = [];
      try {
        return await whileHeartbeating(heartbeatMs, () => ({ knownState: input.knownState }), () =>
          translatingErrors(async () => {
            const cluster = await resolveCluster(deps.clusters, input.cluster);
            // A terminated cluster gives no signal through Livy: watch its EMR state beside the batch;
            // and give up on a Livy that has not answered past the deployment's bound.
            checks.push(
              setInterval(async () => {
                const emrState = await deps.clusters.stateOf?.(input.cluster).catch(() => undefined);
                if (emrState && LOST_EMR_STATES.has(emrState) && !abort.signal.aborted) {
                  // The cluster died: a strike against it, so routing keeps away while discovery catches up.
                  deps.breakers?.recordFailure(input.cluster);
                  abort.abort(new ClusterLostError(`cluster ${input.cluster} is ${emrState}; batch ${input.batchName} went with it`));
                }
                const givenUp = unreachableFor(outageSince(cluster.livyUrl));
                if (givenUp) abort.abort(givenUp);
              }, deps.clusterCheckIntervalMs ?? 15_000),
            );
            if (input.source === 'yarn') return waitOnYarn(cluster, input, abort.signal);
            const client = deps.livy.for(cluster.livyUrl);
            let snapshot: BatchSnapshot;
            try {
              snapshot = await deps.watcher.waitForChange(cluster.livyUrl, input.batchName, input.knownState, abort.signal);
            } catch (err) {
              if (abort.signal.reason !== 'window') throw err;
              try {
                snapshot = toSnapshot(await confirmOurBatch(client, input.batchName));
              } catch (confirmErr) {
                // Livy does not answer (or answers an error) as the window ends: no news about the batch.
                // The job keeps waiting unless the outage is past the deployment's bound.
                if (!isLivyError(confirmErr)) throw confirmErr;
                const givenUp = unreachableFor(outageSince(cluster.livyUrl));
                if (givenUp) throw givenUp;
                return { batchId: input.batchId, batchName: input.batchName, state: input.knownState };
              }
            }
            if (isTerminalBatchState(snapshot.state)) snapshot.log = (await logTail(client, input.batchName)) ?? snapshot.log;
            return snapshot;
          }, { nonRetryable: true }),
        );
      } finally {
        clearTimeout(window);
        checks.forEach(clearInterval);
      }
    },

    async reconcileBatch(input: ReconcileInput): Promise<BatchSnapshot | undefined> {
      return translatingErrors(async () => {
        const cluster = await resolveCluster(deps.clusters, input.cluster);
        const batch = await findByName(deps.livy.for(cluster.livyUrl), input.batchName);
        if (batch) return { ...toSnapshot(batch), source: 'livy' as const };
        // Livy forgot the batch (retain expiry, restart): YARN still knows how its app ended, by our tag.
        const app = await findOnYarn(cluster, input.batchName);
        return app && yarnSnapshot(input.batchName, app);
      });
    },

    /**
     * Rule 4 and the fence of rule 5: read the state by name, DELETE only a live batch that is ours,
     * then confirm it is gone. A batch Livy no longer holds is looked for on YARN by its tag and
     * killed there if it runs. A cluster EMR says is terminated runs nothing.
     */
    async killBatch(ref: BatchRef): Promise<KillResult> {
      return whileHeartbeating(heartbeatMs, () => ({ batchName: ref.batchName }), () =>
        translatingErrors(async () => {
          let cluster: Cluster;
          try {
            cluster = await resolveCluster(deps.clusters, ref.cluster, { evenIfTerminated: true });
          } catch (err) {
            if (err instanceof ClusterLostError) return { stateBefore: 'cluster-terminated', deleted: false };
            throw err;
          }
          const client = deps.livy.for(cluster.livyUrl);
          const step = persistently(Date.now() + KILL_STEP_PERSISTENCE_MS);
          try {
            const batch = await step(() => findByName(client, ref.batchName));
            if (!batch) {
              const app = await findOnYarn(cluster, ref.batchName);
              if (!app) return { stateBefore: 'gone', deleted: false };
              const state = batchStateFromYarn(app);
              if (isTerminalBatchState(state)) return { stateBefore: state, deleted: false, log: app.diagnostics ? [app.diagnostics] : undefined };
              await deps.yarn!.for(cluster.resourceManagerUrl!).killApp(app.appId);
              return { stateBefore: state, deleted: true };
            }
            const log = await logTail(client, ref.batchName);
            // DELETE erases Livy's record: a finished batch is left alone so its outcome stays readable.
            if (isTerminalBatchState(batch.state)) return { stateBefore: batch.state, deleted: false, log };
            // A DELETE whose answer was lost may have been carried out: a second one answers 404, which is as good.
            await step(() => client.deleteBatch(ref.batchName)).catch((err) => {
              if (!isLivyError(err, 'not-found')) throw err;
            });
            const after = await step(() => findByName(client, ref.batchName));
            if (after) throw new Error(`batch ${ref.batchName} is still there after DELETE (state ${after.state})`);
            return { stateBefore: batch.state, deleted: true, log };
          } catch (err) {
            if (isEndpointTrouble(err) && (await isTerminated(deps.clusters, ref.cluster))) return { stateBefore: 'cluster-terminated', deleted: false };
            throw err;
          }
        }),
      );
    },
  };
}
