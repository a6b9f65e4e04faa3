/**
 * EMR discovery: active clusters from ListClusters (paginated) + DescribeCluster (tags, release
 * label, primary node DNS), cached briefly per worker. Credentials and region come from the AWS
 * SDK's default chain; `endpoint` overrides the API address (moto in tests).
 */
import { DescribeClusterCommand, EMRClient, paginateListClusters, type Cluster as EmrCluster, type ClusterState } from '@aws-sdk/client-emr';
import type { Cluster, ClusterDirectory } from './cluster';

export const LIVY_URL_TAG = 'shale:livy-url';
export const POOL_TAG = 'shale:pool';
const ACTIVE_STATES: ClusterState[] = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'];
export const LOST_EMR_STATES = new Set(['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS']);

export interface EmrClustersOptions {
  region?: string;
  endpoint?: string;
  cacheTtlMs?: number;
  stateTtlMs?: number;
  /** Only clusters carrying all these tags are Shale's (e.g. { 'shale:enabled': 'true' }). */
  requiredTags?: Record<string, string>;
}

/** emr-5.x runs Spark 2; emr-6.x and emr-7.x run Spark 3. */
export function sparkVersionOf(releaseLabel: string | undefined): string | undefined {
  const major = /^emr-(\d+)\./.exec(releaseLabel ?? '')?.[1];
  if (!major) return undefined;
  return Number(major) <= 5 ? '2' : '3';
}

export function toCluster(emr: EmrCluster): Cluster | undefined {
  const tags = Object.fromEntries((emr.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const livyUrl = tags[LIVY_URL_TAG] || (emr.MasterPublicDnsName ? `http://${emr.MasterPublicDnsName}:8998` : undefined);
  if (!emr.Id || !livyUrl) return undefined;
  return {
    id: emr.Id,
    livyUrl,
    sparkVersion: sparkVersionOf(emr.ReleaseLabel),
    pool: tags[POOL_TAG],
    tags,
    emrState: emr.Status?.State,
  };
}

export class EmrClusters implements ClusterDirectory {
  private readonly emr: EMRClient;
  private cached?: { at: number; clusters: Promise<Cluster[]> };
  private readonly states = new Map<string, { at: number; state: Promise<string | undefined> }>();

  constructor(private readonly options: EmrClustersOptions = {}) {
    this.emr = new EMRClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  }

  list(): Promise<Cluster[]> {
    const ttl = this.options.cacheTtlMs ?? 15_000;
    if (!this.cached || Date.now() - this.cached.at > ttl) {
      const clusters = this.discover();
      this.cached = { at: Date.now(), clusters };
      clusters.catch(() => (this.cached = undefined));
    }
    return this.cached.clusters;
  }

  /**
   * The cluster's EMR state, cached for a moment so every job watching a cluster costs one
   * DescribeCluster per interval, not one each. Unknown ids answer undefined.
   */
  stateOf(clusterId: string): Promise<string | undefined> {
    const ttl = this.options.stateTtlMs ?? 5_000;
    const hit = this.states.get(clusterId);
    if (hit && Date.now() - hit.at < ttl) return hit.state;
    const state = this.emr
      .send(new DescribeClusterCommand({ ClusterId: clusterId }))
      .then((d) => d.Cluster?.Status?.State as string | undefined)
      .catch(() => undefined);
    this.states.set(clusterId, { at: Date.now(), state });
    return state;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async discover(): Promise<Cluster[]> {
    const ids: string[] = [];
    for await (const page of paginateListClusters({ client: this.emr }, { ClusterStates: ACTIVE_STATES })) {
      for (const summary of page.Clusters ?? []) if (summary.Id) ids.push(summary.Id);
    }
    const described = await Promise.all(ids.map((id) => this.emr.send(new DescribeClusterCommand({ ClusterId: id }))));
    const required = Object.entries(this.options.requiredTags ?? {});
    return described
      .map((d) => (d.Cluster ? toCluster(d.Cluster) : undefined))
      .filter((c): c is Cluster => c !== undefined && required.every(([k, v]) => c.tags[k] === v));
  }

  close(): void {
    this.emr.destroy();
  }
}

/** Static endpoints from config beside discovered EMR clusters. */
export class CombinedClusters implements ClusterDirectory {
  constructor(private readonly sources: ClusterDirectory[]) {}

  async list(): Promise<Cluster[]> {
    return (await Promise.all(this.sources.map((s) => s.list()))).flat();
  }

  async stateOf(clusterId: string): Promise<string | undefined> {
    for (const source of this.sources) {
      const state = await source.stateOf?.(clusterId);
      if (state) return state;
    }
    return undefined;
  }
}
