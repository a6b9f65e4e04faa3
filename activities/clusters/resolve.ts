/**
 * Activities name a cluster; the worker resolves its addresses from its own directory, so no
 * workflow input can point the worker (and its Livy credential) at another URL.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../contract';
import { ClusterLostError, type Cluster, type ClusterDirectory } from './cluster';
import { LOST_EMR_STATES } from './emrClusters';

/**
 * The cluster an activity names, from the worker's own directory. A cluster EMR says is going away
 * is lost (ClusterLostError), unless `evenIfTerminated` (a kill: its Livy may still answer, and a
 * batch there must not run on beside the job's next attempt).
 */
export async function resolveCluster(clusters: ClusterDirectory, clusterId: string, options: { evenIfTerminated?: boolean } = {}): Promise<Cluster> {
  const found = (await clusters.list()).find((c) => c.id === clusterId);
  if (found) return found;
  // Discovery lists active clusters only: one that is going away is found through its EMR state.
  const emrState = await clusters.stateOf?.(clusterId);
  if (emrState && LOST_EMR_STATES.has(emrState)) {
    const described = options.evenIfTerminated ? await clusters.find?.(clusterId) : undefined;
    if (described) return described;
    throw new ClusterLostError(`cluster ${clusterId} is ${emrState}`);
  }
  throw ApplicationFailure.create({
    type: ErrorType.UnknownCluster,
    message: `cluster ${clusterId} is not in this worker's directory${emrState ? ` (EMR state ${emrState})` : ''}`,
    nonRetryable: true,
  });
}

/** True when EMR says the cluster is terminating or terminated: a dead cluster runs nothing. */
export async function isTerminated(clusters: ClusterDirectory, clusterId: string): Promise<boolean> {
  const state = await clusters.stateOf?.(clusterId).catch(() => undefined);
  return state !== undefined && LOST_EMR_STATES.has(state);
}
