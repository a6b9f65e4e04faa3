/** A place a job can run: an EMR cluster with Livy on its primary node, or a static Livy endpoint. */
export interface Cluster {
  id: string;
  /** The EMR cluster's name (shown beside its id, and a `shale list --cluster` filter accepts it); static endpoints have none. */
  name?: string;
  livyUrl: string;
  /**
   * YARN ResourceManager REST (e.g. http://primary:8088), where a batch Livy has forgotten is found
   * by its tag. EMR: the `shale:rm-url` tag (under the same allowlist as `shale:livy-url`), else
   * port 8088 on the primary node; static clusters: from config, unset if not configured.
   */
  resourceManagerUrl?: string;
  /** '2' or '3', from the EMR release label or from config. */
  sparkVersion?: string;
  pool?: string;
  tags: Record<string, string>;
  /** EMR state where known; static endpoints have none. */
  emrState?: string;
}

/** Where clusters come from: static config today, EMR discovery beside it (issue 3). */
export interface ClusterDirectory {
  list(): Promise<Cluster[]>;
  /** The cluster's EMR state, where the directory knows it (static endpoints have none). */
  stateOf?(clusterId: string): Promise<string | undefined>;
  /** One cluster by id, whatever its state (list() holds active clusters only). */
  find?(clusterId: string): Promise<Cluster | undefined>;
}

/** The cluster under a job went away (EMR terminated it): the workflow fails over. */
export class ClusterLostError extends Error {
  override readonly name = 'ClusterLostError';
}

export class StaticClusters implements ClusterDirectory {
  constructor(private readonly clusters: Cluster[]) {}

  async list(): Promise<Cluster[]> {
    return this.clusters;
  }
}
