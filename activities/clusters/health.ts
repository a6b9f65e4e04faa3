/**
 * Whether a cluster can take a submission now: EMR state (where known) and a cheap Livy probe,
 * cached briefly so a burst of routings costs one probe per cluster.
 */
import type { LivyClients } from '../livy/client';
import type { Cluster } from './cluster';

const HEALTHY_EMR_STATES = new Set(['RUNNING', 'WAITING']);

export interface ClusterHealth {
  healthy: boolean;
  /** Batches Livy holds: a load hint for choosing among healthy clusters. */
  load: number;
  detail: string;
}

export class HealthProbe {
  private readonly cache = new Map<string, { at: number; health: ClusterHealth }>();
  /** Probes under way: concurrent checks of one cluster share one request. */
  private readonly inflight = new Map<string, Promise<ClusterHealth>>();

  constructor(
    private readonly clients: LivyClients,
    private readonly ttlMs = 5_000,
  ) {}

  async check(cluster: Cluster): Promise<ClusterHealth> {
    if (cluster.emrState && !HEALTHY_EMR_STATES.has(cluster.emrState)) {
      return { healthy: false, load: 0, detail: `EMR state ${cluster.emrState}` };
    }
    const cached = this.cache.get(cluster.id);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.health;
    let pending = this.inflight.get(cluster.id);
    if (!pending) {
      pending = this.probe(cluster).finally(() => this.inflight.delete(cluster.id));
      this.inflight.set(cluster.id, pending);
    }
    return pending;
  }

  private async probe(cluster: Cluster): Promise<ClusterHealth> {
    let health: ClusterHealth;
    try {
      const list = await this.clients.for(cluster.livyUrl).listBatches(0, 0);
      health = { healthy: true, load: list.total, detail: `Livy answers, ${list.total} batches held` };
    } catch (err) {
      health = { healthy: false, load: 0, detail: (err as Error).message };
    }
    this.cache.set(cluster.id, { at: Date.now(), health });
    return health;
  }

  /** Forget what we knew (after an infra failure on the cluster). */
  invalidate(clusterId: string): void {
    this.cache.delete(clusterId);
  }
}
