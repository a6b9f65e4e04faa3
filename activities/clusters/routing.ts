/** Chooses the cluster for an attempt from the job's route (DESIGN.md "Clusters, routing, sizing"). */
import type { JobSpec } from '../../contract';
import type { Cluster } from './cluster';

export type Route = JobSpec['route'];

function matchesTags(cluster: Cluster, tags: Record<string, string>): boolean {
  return Object.entries(tags).every(([k, v]) => cluster.tags[k] === v);
}

function describeRoute(route: Route): string {
  const parts: string[] = [];
  if (route.clusterId) parts.push(`clusterId=${route.clusterId}`);
  if (route.pool) parts.push(`pool=${route.pool}`);
  if (route.sparkVersion) parts.push(`sparkVersion=${route.sparkVersion}`);
  return parts.join(', ') || 'any cluster';
}

/**
 * The candidate groups, in order of preference: one group per `criteria` tag set (first healthy
 * match wins), or a single group. An empty result means nothing can ever match.
 */
export function candidateGroups(clusters: Cluster[], route: Route, exclude: readonly string[]): { label: string; clusters: Cluster[] }[] {
  const base = clusters.filter(
    (c) =>
      !exclude.includes(c.id) &&
      (!route.clusterId || c.id === route.clusterId) &&
      (!route.pool || c.pool === route.pool) &&
      (!route.sparkVersion || c.sparkVersion === route.sparkVersion),
  );
  const label = describeRoute(route);
  if (!route.criteria) return base.length ? [{ label, clusters: base }] : [];
  return route.criteria
    .map((tags, i) => ({
      label: `${label}, criteria[${i}] ${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(',')}`,
      clusters: base.filter((c) => matchesTags(c, tags)),
    }))
    .filter((g) => g.clusters.length > 0);
}
