/**
 * EMR discovery: active clusters from ListClusters (paginated) + DescribeCluster (tags, release
 * label, primary node DNS), cached briefly per worker. Credentials and region come from the AWS
 * SDK's default chain; `endpoint` overrides the API address (moto in tests).
 */
import { DescribeClusterCommand, EMRClient, paginateListClusters, type Cluster as EmrCluster, type ClusterState } from '@aws-sdk/client-emr';
import type { Cluster, ClusterDirectory } from './cluster';
import { describeUrl, UrlAllowlist } from './urlAllowlist';

export const LIVY_URL_TAG = 'shale:livy-url';
/** YARN ResourceManager REST, when it is not on port 8088 of the primary node. */
export const RM_URL_TAG = 'shale:rm-url';
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
  /** Patterns the URL tags must match (see urlAllowlist.ts); none: tag URLs are never taken. */
  tagUrlAllowlist?: readonly string[];
  /** Where a refused tag is reported, once per cluster and tag value (a pino logger fits). */
  logger?: DiscoveryLogger;
}

/** The part of a pino logger discovery uses. */
export interface DiscoveryLogger {
  warn(fields: object, message: string): void;
}

/** A tag URL refused by the allowlist: what the cluster became and why. */
export interface TagRefusal {
  clusterId: string;
  tag: string;
  /** Scheme, host and port of the refused URL (never its userinfo or query). */
  url: string;
  consequence: string;
}

/** emr-5.x runs Spark 2; emr-6.x and emr-7.x run Spark 3. */
export function sparkVersionOf(releaseLabel: string | undefined): string | undefined {
  const major = /^emr-(\d+)\./.exec(releaseLabel ?? '')?.[1];
  if (!major) return undefined;
  return Number(major) <= 5 ? '2' : '3';
}

/**
 * A discovered cluster, or undefined when it cannot be used. URLs from tags are taken only when
 * the allowlist matches them: a refused `shale:livy-url` leaves the cluster out (the tag says its
 * Livy is not at the default address, so that address would be a guess, and a guess is where the
 * credential must not go); a refused `shale:rm-url` leaves the cluster without a ResourceManager.
 * Without tags, the primary node's DNS name (EMR's own answer) gives http://{dns}:8998 and :8088.
 */
export function toCluster(emr: EmrCluster, allowlist = new UrlAllowlist(), onRefused: (refusal: TagRefusal) => void = () => {}): Cluster | undefined {
  const tags = Object.fromEntries((emr.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  if (!emr.Id) return undefined;
  const id = emr.Id;
  const dns = emr.MasterPublicDnsName;
  const fromTag = (tag: string, consequence: string): string | undefined => {
    const value = tags[tag];
    if (!value) return undefined;
    if (allowlist.match(value)) return value;
    onRefused({ clusterId: id, tag, url: describeUrl(value), consequence });
    return undefined;
  };

  let livyUrl: string | undefined;
  if (tags[LIVY_URL_TAG]) {
    livyUrl = fromTag(LIVY_URL_TAG, 'cluster ignored');
    if (!livyUrl) return undefined;
  } else if (dns) livyUrl = `http://${dns}:8998`;
  if (!livyUrl) return undefined;

  const resourceManagerUrl = tags[RM_URL_TAG] ? fromTag(RM_URL_TAG, 'no ResourceManager for this cluster') : dns ? `http://${dns}:8088` : undefined;
  return {
    id,
    ...(emr.Name ? { name: emr.Name } : {}),
    livyUrl,
    ...(resourceManagerUrl ? { resourceManagerUrl } : {}),
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
  private readonly allowlist: UrlAllowlist;
  /** Refusals already reported: discovery runs every few seconds, the log line once. */
  private readonly reported = new Set<string>();

  constructor(private readonly options: EmrClustersOptions = {}) {
    this.emr = new EMRClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    this.allowlist = new UrlAllowlist(options.tagUrlAllowlist);
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

  /**
   * One cluster by id, whatever its state: EMR still describes a terminating or terminated cluster,
   * so a batch on it can be killed by name while its Livy still answers.
   */
  async find(clusterId: string): Promise<Cluster | undefined> {
    const described = await this.emr.send(new DescribeClusterCommand({ ClusterId: clusterId })).catch(() => undefined);
    const required = Object.entries(this.options.requiredTags ?? {});
    const emr = described?.Cluster;
    if (!emr || !required.every(([k, v]) => emr.Tags?.some((t) => t.Key === k && t.Value === v))) return undefined;
    return toCluster(emr, this.allowlist, (refusal) => this.report(refusal));
  }

  private async discover(): Promise<Cluster[]> {
    const ids: string[] = [];
    for await (const page of paginateListClusters({ client: this.emr }, { ClusterStates: ACTIVE_STATES })) {
      for (const summary of page.Clusters ?? []) if (summary.Id) ids.push(summary.Id);
    }
    const described = await Promise.all(ids.map((id) => this.emr.send(new DescribeClusterCommand({ ClusterId: id }))));
    const required = Object.entries(this.options.requiredTags ?? {});
    // Only Shale's clusters are mapped, so a refused tag is reported for those alone.
    const ours = (emr: EmrCluster) => required.every(([k, v]) => emr.Tags?.some((t) => t.Key === k && t.Value === v));
    return described
      .map((d) => (d.Cluster && ours(d.Cluster) ? toCluster(d.Cluster, this.allowlist, (refusal) => this.report(refusal)) : undefined))
      .filter((c): c is Cluster => c !== undefined);
  }

  private report(refusal: TagRefusal): void {
    const key = `${refusal.clusterId} ${refusal.tag} ${refusal.url}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.options.logger?.warn(
      { ...refusal },
      `EMR cluster ${refusal.clusterId}: tag ${refusal.tag} (${refusal.url}) matches no pattern of emr.tagUrlAllowlist; ${refusal.consequence}`,
    );
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

  async find(clusterId: string): Promise<Cluster | undefined> {
    for (const source of this.sources) {
      const found = await source.find?.(clusterId);
      if (found) return found;
    }
    return undefined;
  }

  async stateOf(clusterId: string): Promise<string | undefined> {
    for (const source of this.sources) {
      const state = await source.stateOf?.(clusterId);
      if (state) return state;
    }
    return undefined;
  }
}
