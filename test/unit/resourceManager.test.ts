import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LivyClients, type LivyClient } from '../../activities/livy/client';
import {
  batchStateFromYarn,
  ResourceManagerClient,
  ResourceManagers,
  YarnError,
  type YarnAppState,
  type YarnFinalStatus,
} from '../../activities/yarn/resourceManager';
import { DEAD_DIAGNOSTICS, startLivySimulator, type LivySimulator } from '../../dev/livy-sim/index';
import { rejection } from '../support/activityTesting';

let counter = 0;
/** Shale's names are mixed case (`J-aN`); YARN lowercases tags. */
const uniqueName = (prefix: string) => `${prefix}-Job${++counter}-a1`;

describe('batchStateFromYarn', () => {
  it.each<[YarnAppState, YarnFinalStatus, string]>([
    ['NEW', 'UNDEFINED', 'running'],
    ['NEW_SAVING', 'UNDEFINED', 'running'],
    ['SUBMITTED', 'UNDEFINED', 'running'],
    ['ACCEPTED', 'UNDEFINED', 'running'],
    ['RUNNING', 'UNDEFINED', 'running'],
    ['FINISHED', 'SUCCEEDED', 'success'],
    ['FINISHED', 'FAILED', 'dead'],
    ['FINISHED', 'KILLED', 'killed'],
    ['FINISHED', 'UNDEFINED', 'dead'],
    ['FAILED', 'FAILED', 'dead'],
    ['FAILED', 'UNDEFINED', 'dead'],
    ['KILLED', 'KILLED', 'killed'],
  ])('%s/%s is %s', (state, finalStatus, expected) => {
    expect(batchStateFromYarn({ state, finalStatus })).toBe(expected);
  });
});

describe('ResourceManagerClient against the simulator', () => {
  let sim: LivySimulator;
  let livyClients: LivyClients;
  let livy: LivyClient;
  let managers: ResourceManagers;
  let rm: ResourceManagerClient;

  beforeAll(async () => {
    sim = await startLivySimulator({ name: 'yarn', startingMs: 10, defaultDurationMs: 60_000 });
    livyClients = new LivyClients({ requestTimeoutMs: 2_000 });
    livy = livyClients.for(sim.url);
    managers = new ResourceManagers({ requestTimeoutMs: 2_000, killPollMs: 10 });
    rm = managers.for(sim.url);
  });
  afterAll(async () => {
    await managers.close();
    await livyClients.close();
    await sim.close();
  });

  /** POSTs a batch tagged as Shale tags them (activities/livy/batchRequest.ts). */
  async function submit(name: string, conf: Record<string, string> = {}) {
    return livy.createBatch({ name, file: 's3://b/main.py', conf: { 'spark.yarn.tags': `${name},shale`, ...conf } });
  }

  async function runningBatch(name: string) {
    await submit(name);
    await vi.waitFor(async () => expect((await livy.getBatch(name)).state).toBe('running'), { timeout: 3_000, interval: 10 });
    return livy.getBatch(name);
  }

  it('finds a running batch\'s app by its tag, whatever the case', async () => {
    const name = uniqueName('find');
    const batch = await runningBatch(name);
    const app = await rm.findAppByTag(name);
    expect(app).toMatchObject({ appId: batch.appId, name, state: 'RUNNING', finalStatus: 'UNDEFINED', diagnostics: '' });
    expect(batchStateFromYarn(app!)).toBe('running');
    expect(await rm.findAppByTag(name.toLowerCase())).toMatchObject({ appId: batch.appId });
    expect(await rm.findAppByTag('nobody-a1')).toBeUndefined();
    await livy.deleteBatch(name);
  });

  it('tells how an app ended after Livy forgot the batch: success, failure with its diagnostics, a kill', async () => {
    const ok = uniqueName('ok');
    const failed = uniqueName('failed');
    const killed = uniqueName('killed');
    await submit(ok, { 'shale.sim.durationMs': '0' });
    await submit(failed, { 'shale.sim.durationMs': '0', 'shale.sim.outcome': 'dead' });
    await runningBatch(killed);
    await vi.waitFor(async () => {
      expect((await livy.getBatch(ok)).state).toBe('success');
      expect((await livy.getBatch(failed)).state).toBe('dead');
    }, { timeout: 3_000, interval: 10 });
    await livy.deleteBatch(killed);
    sim.expireFinished();
    for (const name of [ok, failed]) expect(await livy.findBatch(name)).toBeUndefined();

    const okApp = (await rm.findAppByTag(ok))!;
    expect(okApp).toMatchObject({ state: 'FINISHED', finalStatus: 'SUCCEEDED' });
    expect(okApp.finishedTime).toBeGreaterThanOrEqual(okApp.startedTime!);
    expect(batchStateFromYarn(okApp)).toBe('success');
    const failedApp = (await rm.findAppByTag(failed))!;
    expect(batchStateFromYarn(failedApp)).toBe('dead');
    expect(failedApp.diagnostics).toBe(DEAD_DIAGNOSTICS);
    expect(batchStateFromYarn((await rm.findAppByTag(killed))!)).toBe('killed');
  });

  it('picks the newest app when a tag was used twice (a name resubmitted after Livy forgot it)', async () => {
    const name = uniqueName('twice');
    const first = await runningBatch(name);
    await livy.deleteBatch(name);
    const second = await runningBatch(name);
    expect(second.appId).not.toBe(first.appId);
    expect((await rm.findAppByTag(name))!.appId).toBe(second.appId);
    await livy.deleteBatch(name);
  });

  it('kills a running app (202, asked again until 200), and Livy sees its batch killed', async () => {
    const name = uniqueName('kill');
    const batch = await runningBatch(name);
    sim.clearRequests();
    expect(await rm.killApp(batch.appId!)).toEqual({ state: 'KILLED', ended: true });
    expect((await livy.getBatch(name)).state).toBe('killed');
    // a kill of an app that has ended says how it ended
    expect(await rm.killApp(batch.appId!)).toEqual({ state: 'KILLED', ended: true });
    // not a Livy request: nothing in Livy's request log
    expect(sim.requests()).toEqual([expect.objectContaining({ method: 'GET', path: `/batches/${name}` })]);
  });

  it('a kill of a finished app leaves it as it ended', async () => {
    const name = uniqueName('done');
    await submit(name, { 'shale.sim.durationMs': '0' });
    await vi.waitFor(async () => expect((await livy.getBatch(name)).state).toBe('success'), { timeout: 3_000, interval: 10 });
    const app = (await rm.findAppByTag(name))!;
    expect(await rm.killApp(app.appId)).toEqual({ state: 'FINISHED', ended: true });
    expect(batchStateFromYarn((await rm.findAppByTag(name))!)).toBe('success');
  });

  it('an unknown app is not-found, with YARN\'s message', async () => {
    const err = await rejection(rm.killApp('application_1_0999'), YarnError);
    expect(err).toMatchObject({ kind: 'not-found', status: 404 });
    expect(err.message).toMatch(/app with id: application_1_0999 not found/);
  });

  it('answers while Livy\'s batch API is unreachable, and a kill then needs no Livy', async () => {
    const name = uniqueName('outage');
    const batch = await runningBatch(name);
    sim.setFaults({ dropRate: 1 });
    try {
      expect((await rm.findAppByTag(name))!.state).toBe('RUNNING');
      expect(await rm.killApp(batch.appId!)).toEqual({ state: 'KILLED', ended: true });
    } finally {
      sim.setFaults({ dropRate: 0 });
    }
    expect((await livy.getBatch(name)).state).toBe('killed');
  });
});

describe('ResourceManagerClient: answers it must not trust', () => {
  const RM = 'http://rm.test:8088';
  let agent: MockAgent;

  beforeAll(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterAll(() => agent.close());

  const app = (id: string, tags: string, startedTime: number, state = 'RUNNING') => ({ id, name: 'x', state, finalStatus: 'UNDEFINED', diagnostics: '', applicationTags: tags, startedTime, finishedTime: 0 });

  it('ignores apps without the tag (an RM that ignores the filter lists every app) and picks the newest', async () => {
    agent.get(RM).intercept({ path: '/ws/v1/cluster/apps?applicationTags=j-a1', method: 'GET' }).reply(200, {
      apps: { app: [app('application_5_0001', 'j-a1,shale', 100), app('application_5_0003', 'k-a1,shale', 300), app('application_5_0002', 'livy-batch-1-x,j-a1', 200)] },
    });
    const rm = new ResourceManagerClient(RM, agent);
    expect((await rm.findAppByTag('J-a1'))!.appId).toBe('application_5_0002');
  });

  it('sends the simple-auth user when configured', async () => {
    agent.get(RM).intercept({ path: '/ws/v1/cluster/apps?applicationTags=j-a1&user.name=shale', method: 'GET' }).reply(200, { apps: null });
    expect(await new ResourceManagerClient(RM, agent, { user: 'shale' }).findAppByTag('J-a1')).toBeUndefined();
  });

  it('a body that is not an apps listing, or an unknown state, is a server error', async () => {
    const pool = agent.get(RM);
    pool.intercept({ path: '/ws/v1/cluster/apps?applicationTags=j-a1', method: 'GET' }).reply(200, { apps: 'nope' });
    pool.intercept({ path: '/ws/v1/cluster/apps?applicationTags=j-a1', method: 'GET' }).reply(200, { apps: { app: [app('application_5_0001', 'j-a1', 1, 'EXPLODED')] } });
    pool.intercept({ path: '/ws/v1/cluster/apps?applicationTags=j-a1', method: 'GET' }).reply(200, '<html>login</html>');
    const rm = new ResourceManagerClient(RM, agent);
    for (const message of [/not an apps listing/, /unknown app state EXPLODED/, /not JSON/]) {
      const err = await rejection(rm.findAppByTag('J-a1'), YarnError);
      expect(err.kind).toBe('server-error');
      expect(err.message).toMatch(message);
    }
  });

  it('a kill refused for want of auth is an auth error', async () => {
    agent.get(RM).intercept({ path: '/ws/v1/cluster/apps/application_5_0001/state', method: 'PUT' }).reply(403, '');
    expect((await rejection(new ResourceManagerClient(RM, agent).killApp('application_5_0001'), YarnError)).kind).toBe('auth');
  });

  it('an RM that does not answer is unreachable', async () => {
    const gone = new ResourceManagers({ connectTimeoutMs: 500 });
    try {
      const err = await rejection(gone.for('http://127.0.0.1:1').findAppByTag('J-a1'), YarnError);
      expect(err.kind).toBe('unreachable');
    } finally {
      await gone.close();
    }
  });
});
