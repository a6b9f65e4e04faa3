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

  /** The cluster's current EMR state, uncached: used to tell a dead cluster from a slow Livy. */
  async stateOf(clusterId: string): Promise<string | undefined> {
    const { Cluster } = await this.emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
    return Cluster?.Status?.State;
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
}
