/** Clusters show their EMR name beside the id, and a cluster filter accepts either. */
import { describe, expect, it } from 'vitest';
import { toCluster } from '../../activities/clusters/emrClusters';
import { clusterLabel, formatList, formatStatus } from '../../client/format';
import { buildListQuery } from '../../client/listQuery';
import type { JobStatus } from '../../contract';

describe('the EMR name of a cluster', () => {
  it('is taken from EMR beside the id', () => {
    expect(toCluster({ Id: 'j-2AXXXXXXGAPLF', Name: 'analytics-prod', MasterPublicDnsName: 'host' })).toMatchObject({ id: 'j-2AXXXXXXGAPLF', name: 'analytics-prod' });
    expect(toCluster({ Id: 'j-X', MasterPublicDnsName: 'host' })).not.toHaveProperty('name');
  });

  it('shows as `id (name)` in status and list output, the id alone without one', () => {
    expect(clusterLabel('j-1', 'analytics-prod')).toBe('j-1 (analytics-prod)');
    expect(clusterLabel('emr6-spark3', undefined)).toBe('emr6-spark3');
    const status = {
      jobId: 'J',
      name: 'daily',
      team: 'analytics',
      kind: 'pyspark',
      state: 'RUNNING',
      labels: {},
      fingerprint: '',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      attempts: [{ n: 1, batchName: 'J-a1', cluster: 'j-1', clusterName: 'analytics-prod' }],
      budgets: { appFailures: 0, appRetries: 1, infraFailures: 0, infraRetries: 3 },
      logTail: [],
    } satisfies JobStatus;
    expect(formatStatus(status)).toContain('j-1 (analytics-prod)');
    expect(formatList([{ jobId: 'J', cluster: 'j-1', clusterName: 'analytics-prod' }])).toContain('j-1 (analytics-prod)');
  });

  it('or the id filters a list', () => {
    expect(buildListQuery({ cluster: 'analytics-prod' })).toContain(`(ShaleCluster = 'analytics-prod' OR ShaleClusterName = 'analytics-prod')`);
    expect(() => buildListQuery({ cluster: "x' OR 1=1" })).toThrow(/cluster/);
  });
});
