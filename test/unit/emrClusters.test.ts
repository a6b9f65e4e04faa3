import { AddTagsCommand, DescribeClusterCommand, ListClustersCommand, TerminateJobFlowsCommand, type Cluster as EmrCluster, type EMRClient } from '@aws-sdk/client-emr';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { EmrClusters, LIVY_URL_TAG, POOL_TAG, RM_URL_TAG, sparkVersionOf, toCluster, type TagRefusal } from '../../activities/clusters/emrClusters';
import { UrlAllowlist } from '../../activities/clusters/urlAllowlist';
import { createCluster, emrClient, terminateCluster } from '../support/emr';

describe('sparkVersionOf', () => {
  it('maps emr-5.x to Spark 2', () => {
    expect(sparkVersionOf('emr-5.36.0')).toBe('2');
    expect(sparkVersionOf('emr-5.0.0')).toBe('2');
  });

  it('maps emr-6.x and emr-7.x to Spark 3', () => {
    expect(sparkVersionOf('emr-6.15.0')).toBe('3');
    expect(sparkVersionOf('emr-6.0.0')).toBe('3');
    expect(sparkVersionOf('emr-7.2.0')).toBe('3');
  });

  it('answers undefined for a missing or unreadable label', () => {
    for (const label of [undefined, '', 'garbage', 'emr-', 'emr-x.1', 'emr-6', 'EMR-6.15.0', 'release-6.1.0', ' emr-6.1.0']) {
      expect(sparkVersionOf(label), String(label)).toBeUndefined();
    }
  });
});

describe('toCluster', () => {
  const emr = (extra: Partial<EmrCluster> = {}): EmrCluster => ({
    Id: 'j-ABC',
    ReleaseLabel: 'emr-6.15.0',
    MasterPublicDnsName: 'ec2-1-2-3-4.compute-1.amazonaws.com',
    Status: { State: 'WAITING' },
    ...extra,
  });
  const allowlist = new UrlAllowlist(['https://*.livy.internal:443', 'http://*.rm.internal:8088']);
  const tagged = (tags: Record<string, string>) => emr({ Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });

  it('takes the Livy URL from the shale:livy-url tag when the allowlist matches it', () => {
    const c = toCluster(tagged({ [LIVY_URL_TAG]: 'https://emr-1.livy.internal:443' }), allowlist);
    expect(c?.livyUrl).toBe('https://emr-1.livy.internal:443');
  });

  it('ignores the cluster when its shale:livy-url tag matches no pattern, and says so (issue 9, item 7: taken verbatim)', () => {
    const refusals: TagRefusal[] = [];
    for (const url of ['https://attacker.example:443', 'http://emr-1.livy.internal:443', 'https://svc:pw@emr-1.livy.internal:443']) {
      expect(toCluster(tagged({ [LIVY_URL_TAG]: url }), allowlist, (r) => refusals.push(r)), url).toBeUndefined();
    }
    expect(refusals).toEqual([
      { clusterId: 'j-ABC', tag: LIVY_URL_TAG, url: 'https://attacker.example', consequence: 'cluster ignored' },
      { clusterId: 'j-ABC', tag: LIVY_URL_TAG, url: 'http://emr-1.livy.internal:443', consequence: 'cluster ignored' },
      { clusterId: 'j-ABC', tag: LIVY_URL_TAG, url: 'https://emr-1.livy.internal (with userinfo)', consequence: 'cluster ignored' },
    ]);
  });

  it('takes no tag URL without an allowlist', () => {
    expect(toCluster(tagged({ [LIVY_URL_TAG]: 'https://emr-1.livy.internal:443' }))).toBeUndefined();
  });

  it('falls back to port 8998 on the primary node without a tag, which needs no allowlist', () => {
    expect(toCluster(emr())?.livyUrl).toBe('http://ec2-1-2-3-4.compute-1.amazonaws.com:8998');
    // an empty tag counts as no tag
    expect(toCluster(tagged({ [LIVY_URL_TAG]: '' }))?.livyUrl).toBe('http://ec2-1-2-3-4.compute-1.amazonaws.com:8998');
  });

  it('finds the ResourceManager on port 8088 of the primary node, or at an allowed shale:rm-url tag', () => {
    expect(toCluster(emr())?.resourceManagerUrl).toBe('http://ec2-1-2-3-4.compute-1.amazonaws.com:8088');
    expect(toCluster(tagged({ [RM_URL_TAG]: 'http://emr-1.rm.internal:8088' }), allowlist)?.resourceManagerUrl).toBe('http://emr-1.rm.internal:8088');
  });

  it('keeps a cluster whose shale:rm-url tag is refused, without a ResourceManager', () => {
    const refusals: TagRefusal[] = [];
    const c = toCluster(tagged({ [RM_URL_TAG]: 'http://attacker.example:8088' }), allowlist, (r) => refusals.push(r));
    expect(c?.livyUrl).toBe('http://ec2-1-2-3-4.compute-1.amazonaws.com:8998');
    expect(c).not.toHaveProperty('resourceManagerUrl');
    expect(refusals).toEqual([{ clusterId: 'j-ABC', tag: RM_URL_TAG, url: 'http://attacker.example:8088', consequence: 'no ResourceManager for this cluster' }]);
  });

  it('maps id, Spark version, pool, tags and EMR state', () => {
    const c = toCluster(
      emr({
        ReleaseLabel: 'emr-5.36.0',
        Status: { State: 'RUNNING' },
        Tags: [
          { Key: POOL_TAG, Value: 'etl' },
          { Key: 'env', Value: 'prod' },
        ],
      }),
    );
    expect(c).toEqual({
      id: 'j-ABC',
      livyUrl: 'http://ec2-1-2-3-4.compute-1.amazonaws.com:8998',
      resourceManagerUrl: 'http://ec2-1-2-3-4.compute-1.amazonaws.com:8088',
      sparkVersion: '2',
      pool: 'etl',
      tags: { [POOL_TAG]: 'etl', env: 'prod' },
      emrState: 'RUNNING',
    });
  });

  it('leaves pool, Spark version and state undefined when EMR does not say', () => {
    const c = toCluster({ Id: 'j-X', MasterPublicDnsName: 'host' });
    expect(c).toEqual({
      id: 'j-X',
      livyUrl: 'http://host:8998',
      resourceManagerUrl: 'http://host:8088',
      sparkVersion: undefined,
      pool: undefined,
      tags: {},
      emrState: undefined,
    });
  });

  it('is undefined without an id or without any Livy URL', () => {
    expect(toCluster(emr({ Id: undefined }))).toBeUndefined();
    expect(toCluster(emr({ Id: '' }))).toBeUndefined();
    expect(toCluster(emr({ MasterPublicDnsName: undefined }))).toBeUndefined();
    expect(toCluster(emr({ MasterPublicDnsName: undefined, Tags: [{ Key: LIVY_URL_TAG, Value: '' }] }))).toBeUndefined();
    // an allowed tag alone is enough (and there is then no default ResourceManager)
    const c = toCluster(emr({ MasterPublicDnsName: undefined, Tags: [{ Key: LIVY_URL_TAG, Value: 'https://l.livy.internal' }] }), allowlist);
    expect(c?.livyUrl).toBe('https://l.livy.internal');
    expect(c).not.toHaveProperty('resourceManagerUrl');
  });
});

describe('EmrClusters against moto', () => {
  let emr: EMRClient;
  const created: string[] = [];
  const directories: EmrClusters[] = [];
  let seq = 0;
  /** A tag value no other test (or test file sharing the moto server) uses. */
  const uniqueRun = () => `emr-unit-${process.pid}-${Date.now()}-${++seq}`;
  const directory = (options: ConstructorParameters<typeof EmrClusters>[0]) => {
    const d = new EmrClusters({ endpoint: inject('motoEndpoint'), region: 'us-east-1', tagUrlAllowlist: ['http://*.livy.test:8998'], ...options });
    directories.push(d);
    return d;
  };
  const create = async (options: Parameters<typeof createCluster>[1]) => {
    const id = await createCluster(emr, options);
    created.push(id);
    return id;
  };

  beforeAll(() => {
    emr = emrClient();
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    for (const d of directories) d.close();
    // leave the shared moto server with no active clusters of ours
    if (created.length > 0) await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: created }));
    emr?.destroy();
  });

  it('lists only the clusters carrying every required tag, mapped to Clusters', async () => {
    const run = uniqueRun();
    const tags = { 'shale:test-run': run };
    const mine = await create({ name: 'mine', releaseLabel: 'emr-6.15.0', livyUrl: 'http://livy-mine.livy.test:8998', pool: 'etl', tags: { ...tags, team: 'a' } });
    const legacy = await create({ name: 'legacy', releaseLabel: 'emr-5.36.0', livyUrl: 'http://livy-legacy.livy.test:8998', tags });
    // same run, but missing the second required tag; and a cluster of another run
    const partial = await create({ name: 'partial', releaseLabel: 'emr-6.15.0', livyUrl: 'http://x.livy.test:8998', tags: { ...tags } });
    await create({ name: 'other', releaseLabel: 'emr-6.15.0', livyUrl: 'http://y.livy.test:8998', tags: { 'shale:test-run': `${run}-other`, 'shale:enabled': 'true' } });
    await emr.send(new AddTagsCommand({ ResourceId: legacy, Tags: [{ Key: 'shale:enabled', Value: 'true' }] }));
    await emr.send(new AddTagsCommand({ ResourceId: mine, Tags: [{ Key: 'shale:enabled', Value: 'true' }] }));

    const clusters = await directory({ requiredTags: { ...tags, 'shale:enabled': 'true' } }).list();
    expect(clusters.map((c) => c.id).sort()).toEqual([mine, legacy].sort());
    expect(clusters.map((c) => c.id)).not.toContain(partial);
    const m = clusters.find((c) => c.id === mine)!;
    expect(m).toMatchObject({ livyUrl: 'http://livy-mine.livy.test:8998', sparkVersion: '3', pool: 'etl', tags: { ...tags, team: 'a', [POOL_TAG]: 'etl' } });
    expect(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING']).toContain(m.emrState);
    expect(clusters.find((c) => c.id === legacy)).toMatchObject({ sparkVersion: '2', pool: undefined });

    // the run tag alone admits the partial one too
    const looser = await directory({ requiredTags: tags }).list();
    expect(looser.map((c) => c.id).sort()).toEqual([mine, legacy, partial].sort());
  });

  it('ignores a cluster whose Livy tag matches no allowed pattern, reporting it once', async () => {
    const run = uniqueRun();
    const tags = { 'shale:test-run': run };
    const good = await create({ name: 'good', releaseLabel: 'emr-6.15.0', livyUrl: 'http://good.livy.test:8998', tags });
    const rogue = await create({ name: 'rogue', releaseLabel: 'emr-6.15.0', livyUrl: 'https://collector.attacker.example/livy', tags });
    // not Shale's: never mapped, so never reported
    await create({ name: 'foreign', releaseLabel: 'emr-6.15.0', livyUrl: 'https://elsewhere.example', tags: { 'shale:test-run': `${run}-foreign` } });
    const warnings: Array<{ fields: object; message: string }> = [];
    const dir = directory({ requiredTags: tags, cacheTtlMs: 0, logger: { warn: (fields, message) => warnings.push({ fields, message }) } });
    expect((await dir.list()).map((c) => c.id)).toEqual([good]);
    expect((await dir.list()).map((c) => c.id)).toEqual([good]);
    expect(warnings).toEqual([
      {
        fields: { clusterId: rogue, tag: LIVY_URL_TAG, url: 'https://collector.attacker.example', consequence: 'cluster ignored' },
        message: `EMR cluster ${rogue}: tag ${LIVY_URL_TAG} (https://collector.attacker.example) matches no pattern of emr.tagUrlAllowlist; cluster ignored`,
      },
    ]);
  });

  it('reads every page of ListClusters', async () => {
    const run = uniqueRun();
    // moto answers ListClusters 100 at a time (EMR itself 50): more than a page of clusters
    const ids = await Promise.all(
      Array.from({ length: 105 }, (_, i) => create({ name: `page-${i}`, releaseLabel: 'emr-6.15.0', livyUrl: `http://livy-${i}.livy.test:8998`, tags: { 'shale:test-run': run } })),
    );
    try {
      // (the test means something only if the active clusters do not fit one page)
      expect((await emr.send(new ListClustersCommand({ ClusterStates: ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] }))).Marker).toBeTruthy();
      const clusters = await directory({ requiredTags: { 'shale:test-run': run } }).list();
      expect(clusters).toHaveLength(105);
      expect(new Set(clusters.map((c) => c.id))).toEqual(new Set(ids));
    } finally {
      await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: ids }));
    }
  });

  it('caches the list for cacheTtlMs; invalidate() forces a fresh discovery', async () => {
    const run = uniqueRun();
    const tags = { 'shale:test-run': run };
    const first = await create({ name: 'first', releaseLabel: 'emr-6.15.0', livyUrl: 'http://a.livy.test:8998', tags });
    const dir = directory({ requiredTags: tags, cacheTtlMs: 60_000 });
    expect((await dir.list()).map((c) => c.id)).toEqual([first]);

    const second = await create({ name: 'second', releaseLabel: 'emr-7.2.0', livyUrl: 'http://b.livy.test:8998', tags });
    // within the TTL: the cached answer, without the new cluster
    expect((await dir.list()).map((c) => c.id)).toEqual([first]);

    dir.invalidate();
    expect((await dir.list()).map((c) => c.id).sort()).toEqual([first, second].sort());
  });

  it('discovers again once the TTL has passed', async () => {
    const run = uniqueRun();
    const tags = { 'shale:test-run': run };
    const dir = directory({ requiredTags: tags, cacheTtlMs: 60_000 });
    expect(await dir.list()).toEqual([]);
    const id = await create({ name: 'late', releaseLabel: 'emr-6.15.0', livyUrl: 'http://a.livy.test:8998', tags });
    expect(await dir.list()).toEqual([]);
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 60_001);
    expect((await dir.list()).map((c) => c.id)).toEqual([id]);
  });

  it('concurrent list() calls share one discovery', async () => {
    const run = uniqueRun();
    const tags = { 'shale:test-run': run };
    await create({ name: 'one', releaseLabel: 'emr-6.15.0', livyUrl: 'http://a.livy.test:8998', tags });
    const dir = directory({ requiredTags: tags });
    const [a, b] = [dir.list(), dir.list()];
    expect(a).toBe(b);
    expect(await a).toHaveLength(1);
  });

  it('drops a terminated cluster from list(), and stateOf() reports TERMINATED', async () => {
    const run = uniqueRun();
    const tags = { 'shale:test-run': run };
    const keep = await create({ name: 'keep', releaseLabel: 'emr-6.15.0', livyUrl: 'http://a.livy.test:8998', tags });
    const doomed = await create({ name: 'doomed', releaseLabel: 'emr-6.15.0', livyUrl: 'http://b.livy.test:8998', tags });
    const dir = directory({ requiredTags: tags, cacheTtlMs: 0, stateTtlMs: 0 });
    expect((await dir.list()).map((c) => c.id).sort()).toEqual([keep, doomed].sort());
    expect(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING']).toContain(await dir.stateOf(doomed));

    await terminateCluster(emr, doomed);
    expect((await dir.list()).map((c) => c.id)).toEqual([keep]);
    expect(await dir.stateOf(doomed)).toBe('TERMINATED');
    expect(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING']).toContain(await dir.stateOf(keep));
  });

  it('caches stateOf() for stateTtlMs', async () => {
    const run = uniqueRun();
    const id = await create({ name: 'cached-state', releaseLabel: 'emr-6.15.0', livyUrl: 'http://a.livy.test:8998', tags: { 'shale:test-run': run } });
    const dir = directory({ stateTtlMs: 60_000 });
    const before = await dir.stateOf(id);
    expect(before).not.toBe('TERMINATED');
    await terminateCluster(emr, id);
    // EMR already says TERMINATED, but the answer is still the cached one
    expect((await emr.send(new DescribeClusterCommand({ ClusterId: id }))).Cluster?.Status?.State).toBe('TERMINATED');
    expect(await dir.stateOf(id)).toBe(before);
    expect(await directory({ stateTtlMs: 60_000 }).stateOf(id)).toBe('TERMINATED');
  });

  it('stateOf() of an unknown id answers undefined', async () => {
    const dir = directory({});
    expect(await dir.stateOf('j-DOESNOTEXIST0')).toBeUndefined();
  });
});
