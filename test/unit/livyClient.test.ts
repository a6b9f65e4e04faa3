import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorType } from '../../contract';
import { MockAgent } from 'undici';
import { LivyClient, LivyClients, type LivyClientOptions } from '../../activities/livy/client';
import { isLivyError, LivyError, livyErrorFromResponse, mayHaveRegisteredBatch, readErrorBody, type LivyErrorKind } from '../../activities/livy/errors';
import type { LivyBatchRequest } from '../../activities/livy/types';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim/index';
import { rejection } from '../support/activityTesting';

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}-a1`;

function request(name: string, conf: Record<string, string> = {}): LivyBatchRequest {
  return { name, file: 's3://bucket/main.py', conf: { 'shale.sim.durationMs': '60000', ...conf } };
}

describe('livyErrorFromResponse', () => {
  it.each<[number, string, LivyErrorKind, string]>([
    [400, 'Rejected, too many sessions are being created!', 'capacity', ErrorType.LivyCapacity],
    [400, 'Rejected, Reason: Duplicate session name: Some(j-a1) for session 4', 'duplicate-name', ErrorType.LivyDuplicateName],
    [404, "Session '42' not found.", 'not-found', ErrorType.LivyNotFound],
    [401, 'Unauthorized', 'auth', ErrorType.LivyAuth],
    [403, 'User bob is not allowed', 'auth', ErrorType.LivyAuth],
    [400, 'Rejected, Reason: Invalid session name: 123', 'bad-request', ErrorType.LivyBadRequest],
    [405, 'Method Not Allowed', 'bad-request', ErrorType.LivyBadRequest],
    [500, 'java.lang.NullPointerException', 'server-error', ErrorType.LivyServerError],
    [503, '', 'server-error', ErrorType.LivyServerError],
  ])('%i %j is %s (%s)', (status, msg, kind, type) => {
    const err = livyErrorFromResponse(status, msg, 'create batch j-a1');
    expect(err.kind).toBe(kind);
    expect(err.errorType).toBe(type);
    expect(err.status).toBe(status);
    expect(err.message).toBe(`create batch j-a1: Livy answered ${status} ${msg}`.trim());
    expect(isLivyError(err)).toBe(true);
    expect(isLivyError(err, kind)).toBe(true);
    expect(isLivyError(new Error('x'), kind)).toBe(false);
  });

  it('only counts a "too many sessions" or "duplicate" text as such on a 400', () => {
    expect(livyErrorFromResponse(500, 'too many sessions', 'x').kind).toBe('server-error');
    expect(livyErrorFromResponse(404, 'Duplicate session name', 'x').kind).toBe('not-found');
  });

  it.each<[string, string, LivyErrorKind]>([
    ['0.7 duplicate', '{"msg":"Duplicate session name: Some(J-a1) for session 1"}', 'duplicate-name'],
    ['0.9 duplicate', '{"msg":"Rejected, Reason: Duplicate session name: Some(J-a1) for session 1"}', 'duplicate-name'],
    ['0.7 capacity', '{"msg":"Rejected, too many sessions are being created!"}', 'capacity'],
    ['a capacity text in a bare string', '"too many sessions are being created!"', 'capacity'],
    ['a bare JSON string', '"Unrecognized field \\"bogus\\" (class org.apache.livy.server.batch.CreateBatchRequest)"', 'bad-request'],
    ['plain text', 'Bad Request', 'bad-request'],
  ])('reads the %s form of a 400 body by its stable text', (_form, body, kind) => {
    expect(livyErrorFromResponse(400, readErrorBody(body), 'create batch J-a1').kind).toBe(kind);
  });

  it('reads each body form, keeping the text without JSON quoting', () => {
    expect(readErrorBody('{"msg":"Session \'x\' not found."}')).toEqual({ form: 'msg', text: "Session 'x' not found." });
    expect(readErrorBody('"Unrecognized field \\"bogus\\""')).toEqual({ form: 'string', text: 'Unrecognized field "bogus"' });
    expect(readErrorBody('<html>502</html>')).toEqual({ form: 'text', text: '<html>502</html>' });
    expect(readErrorBody('{"other":1}')).toEqual({ form: 'text', text: '{"other":1}' });
  });

  it('says which rejected POSTs may have left a registered batch (LIVY.md: a failed start registers first)', () => {
    const rejected = (body: string, status = 400) => livyErrorFromResponse(status, readErrorBody(body), 'create batch J-a1');
    expect(mayHaveRegisteredBatch(rejected('{"msg":"requirement failed: File is required."}'))).toBe(true);
    expect(mayHaveRegisteredBatch(rejected('{"msg":"Rejected, Reason: requirement failed: Local path /tmp/x cannot be added to user sessions."}'))).toBe(true);
    expect(mayHaveRegisteredBatch(rejected('{"msg":"Blacklisted configuration values in session config: spark.master"}'))).toBe(true);
    // refused before registration: the mapper's bare strings, the name checks, capacity; and anything not a 400
    expect(mayHaveRegisteredBatch(rejected('"Unrecognized field \\"bogus\\""'))).toBe(false);
    expect(mayHaveRegisteredBatch(rejected('{"msg":"Invalid session name: 12345"}'))).toBe(false);
    expect(mayHaveRegisteredBatch(rejected('{"msg":"Duplicate session name: Some(J-a1) for session 1"}'))).toBe(false);
    expect(mayHaveRegisteredBatch(rejected('{"msg":"Rejected, too many sessions are being created!"}'))).toBe(false);
    expect(mayHaveRegisteredBatch(rejected('{"msg":"no"}', 403))).toBe(false);
  });
});

describe('LivyClient against the simulator (CSRF protection on)', () => {
  let sim: LivySimulator;
  let clients: LivyClients;
  let client: LivyClient;
  const seen: Array<{ method: string; status: number | 'error' }> = [];

  beforeAll(async () => {
    sim = await startLivySimulator({ name: 'client', csrf: true, startingMs: 30, defaultDurationMs: 60_000 });
    clients = new LivyClients({ requestTimeoutMs: 2_000, onRequest: (info) => seen.push(info) });
    client = clients.for(sim.url);
  });
  afterEach(() => sim.setFaults({ latencyMs: 0, errorRate: 0, dropRate: 0, postAnswerDelayMs: 0 }));
  afterAll(async () => {
    await clients.close();
    await sim.close();
  });

  it('creates, reads, lists, logs and deletes a batch; POST and DELETE pass CSRF because X-Requested-By is always sent', async () => {
    const name = uniqueName('crud');
    const created = await client.createBatch(request(name, { 'shale.sim.logLines': '0' }));
    expect(created).toMatchObject({ name, state: 'starting', appId: null });
    expect((await client.getBatch(created.id)).name).toBe(name);
    expect((await client.getBatch(name)).id).toBe(created.id);
    const list = await client.listBatches();
    expect(list.sessions.map((s) => s.id)).toContain(created.id);
    expect(list.total).toBe(list.sessions.length);
    await vi.waitFor(async () => expect((await client.getBatch(created.id)).state).toBe('running'), { timeout: 3_000, interval: 10 });
    const log = await client.getLog(created.id, 5);
    expect(log).toMatchObject({ id: created.id, total: 2, log: ['stdout: ', '\nstderr: '] });
    await client.deleteBatch(created.id);
    expect((await rejection(client.getBatch(created.id), LivyError)).kind).toBe('not-found');
    const answered = sim.requests({ name }).map((e) => `${e.method} ${e.status}`);
    expect(answered[0]).toBe('POST 201');
    expect(answered.at(-1)).toBe('DELETE 200');
    // no CSRF rejection (400) anywhere
    expect(sim.requests().filter((e) => e.status === 400)).toEqual([]);
    expect(sim.requests({ method: 'POST', name })[0]!.status).toBe(201);
    expect(sim.requests({ method: 'DELETE', name })[0]!.status).toBe(200);
  });

  it('pages the batch list with from and size', async () => {
    await client.createBatch(request(uniqueName('page')));
    await client.createBatch(request(uniqueName('page')));
    const all = await client.listBatches(0, 100);
    const page = await client.listBatches(1, 1);
    expect(page.sessions).toHaveLength(1);
    expect(page.sessions[0]!.id).toBe(all.sessions[1]!.id);
    expect(page.total).toBe(all.total);
    expect((await client.listBatches(0, 0)).sessions).toEqual([]);
  });

  it('duplicate-name: a name Livy still holds', async () => {
    const name = uniqueName('dup');
    await client.createBatch(request(name));
    const err = await rejection(client.createBatch(request(name)), LivyError);
    expect(err).toMatchObject({ kind: 'duplicate-name', status: 400, errorType: ErrorType.LivyDuplicateName });
    expect(err.message).toContain(`create batch ${name}`);
  });

  it('not-found: unknown id or name, on GET, log and DELETE', async () => {
    for (const call of [client.getBatch(987_654), client.getBatch('no-such-batch-a1'), client.getLog(987_654), client.deleteBatch(987_654)]) {
      const err = await rejection(call, LivyError);
      expect(err).toMatchObject({ kind: 'not-found', status: 404, errorType: ErrorType.LivyNotFound });
      expect(err.message).toMatch(/Session '.+' not found\./);
    }
  });

  it('bad-request: an all-digit name, a field Livy does not know (a bare JSON string body)', async () => {
    const digits = await rejection(client.createBatch(request('12345')), LivyError);
    expect(digits).toMatchObject({ kind: 'bad-request', status: 400, bodyForm: 'msg', leftover: undefined });
    expect(digits.message).toMatch(/Invalid session name: 12345/);
    const unknown = await rejection(client.createBatch({ ...request(uniqueName('bad')), extra: 1 } as LivyBatchRequest), LivyError);
    expect(unknown).toMatchObject({ kind: 'bad-request', status: 400, bodyForm: 'string', leftover: undefined });
    expect(unknown.message).toMatch(/Livy answered 400 Unrecognized field "extra"/);
  });

  it('addresses a batch by name for GET, log and DELETE, and refuses an all-digit name (Livy would read an id)', async () => {
    const name = uniqueName('by-name');
    await client.createBatch(request(name, { 'shale.sim.logLines': '5', 'shale.sim.durationMs': '0' }));
    await vi.waitFor(async () => expect((await client.getBatch(name)).state).toBe('success'), { timeout: 3_000, interval: 10 });
    sim.clearRequests();
    expect((await client.getLog(name, { from: 1, size: 2 })).log).toEqual([`line 1 of ${name}`, `line 2 of ${name}`]);
    expect((await client.getLog(name, 3)).log).toEqual([`line 4 of ${name}`, `line 5 of ${name}`, '\nstderr: ']);
    await client.deleteBatch(name);
    expect(await client.findBatch(name)).toBeUndefined();
    expect(sim.requests().map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /batches/${name}/log`,
      `GET /batches/${name}/log`,
      `DELETE /batches/${name}`,
      `GET /batches/${name}`,
    ]);
    expect(() => client.getBatch('12345')).toThrow(/read by Livy as an id/);
  });

  it('server-error: the errorRate fault', async () => {
    sim.setFaults({ errorRate: 1 });
    const err = await rejection(client.listBatches(), LivyError);
    expect(err).toMatchObject({ kind: 'server-error', status: 500, errorType: ErrorType.LivyServerError });
    expect(err.message).toContain('simulated failure');
  });

  it('unreachable: a dropped connection', async () => {
    sim.setFaults({ dropRate: 1 });
    const err = await rejection(client.getBatch(0), LivyError);
    expect(err).toMatchObject({ kind: 'unreachable', status: undefined, errorType: ErrorType.LivyUnreachable });
    expect(err.message).toContain(sim.url);
  });

  it('unreachable: an answer slower than requestTimeoutMs', async () => {
    const slow = new LivyClients({ requestTimeoutMs: 150 });
    try {
      sim.setFaults({ latencyMs: 2_000 });
      const err = await rejection(slow.for(sim.url).listBatches(), LivyError);
      expect(err.kind).toBe('unreachable');
    } finally {
      await slow.close();
    }
  });

  it('unreachable on a lost POST answer, although Livy created the batch', async () => {
    const impatient = new LivyClients({ requestTimeoutMs: 200 });
    try {
      sim.setFaults({ postAnswerDelayMs: 5_000 });
      const name = uniqueName('lost-answer');
      const err = await rejection(impatient.for(sim.url).createBatch(request(name)), LivyError);
      expect(err.kind).toBe('unreachable');
      sim.setFaults({ postAnswerDelayMs: 0 });
      expect((await client.getBatch(name)).name).toBe(name);
      expect(sim.requests({ method: 'POST', name })).toEqual([expect.objectContaining({ status: 201 })]);
    } finally {
      await impatient.close();
    }
  });

  it('reports every request to onRequest, failures as "error"', async () => {
    seen.length = 0;
    await client.listBatches();
    sim.setFaults({ dropRate: 1 });
    await rejection(client.listBatches(), LivyError);
    expect(seen).toEqual([
      expect.objectContaining({ endpoint: sim.url, method: 'GET', status: 200, ms: expect.any(Number) }),
      expect.objectContaining({ endpoint: sim.url, method: 'GET', status: 'error' }),
    ]);
  });

  it('keeps connections alive: many sequential requests reuse one or two connections', async () => {
    sim.clearRequests();
    for (let i = 0; i < 40; i++) await client.listBatches(0, 1);
    const requests = sim.requests();
    expect(requests).toHaveLength(40);
    // undici frees a connection a tick after its answer is read, so back-to-back requests may
    // alternate between two; without keep-alive there would be 40
    expect(new Set(requests.map((r) => r.connection)).size).toBeLessThanOrEqual(2);
  });

  it('keeps connections alive under concurrency: bounded by connectionsPerEndpoint and reused', async () => {
    const pooled = new LivyClients({ connectionsPerEndpoint: 4 });
    try {
      const c = pooled.for(sim.url);
      sim.clearRequests();
      sim.setFaults({ latencyMs: 20 });
      await Promise.all(Array.from({ length: 40 }, () => c.listBatches(0, 1)));
      const first = new Set(sim.requests().map((r) => r.connection));
      expect(first.size).toBeGreaterThan(1);
      expect(first.size).toBeLessThanOrEqual(4);
      await Promise.all(Array.from({ length: 40 }, () => c.getBatch(987_654).catch(() => undefined)));
      const all = new Set(sim.requests().map((r) => r.connection));
      expect(sim.requests()).toHaveLength(80);
      expect(all).toEqual(first); // error answers do not cost a connection either
    } finally {
      await pooled.close();
    }
  });

  it('shares one client per endpoint', () => {
    expect(clients.for(sim.url)).toBe(client);
    expect(clients.for(`${sim.url}/`)).not.toBe(client);
  });

  it('sends no Authorization header unless configured', async () => {
    sim.clearRequests();
    await client.listBatches();
    expect(sim.requests()).toEqual([expect.objectContaining({ hasAuth: false })]);
  });
});

describe('LivyClient: capacity', () => {
  it('capacity: Livy refuses a POST while too many spark-submits are in flight', async () => {
    const sim = await startLivySimulator({ name: 'full', maxInFlightSubmits: 1, startingMs: 60_000 });
    const clients = new LivyClients();
    try {
      const client = clients.for(sim.url);
      await client.createBatch(request(uniqueName('cap')));
      const name = uniqueName('cap');
      const err = await rejection(client.createBatch(request(name)), LivyError);
      expect(err).toMatchObject({ kind: 'capacity', status: 400, errorType: ErrorType.LivyCapacity });
      expect(err.message).toMatch(/too many sessions/);
      // nothing was created for it
      expect((await rejection(client.getBatch(name), LivyError)).kind).toBe('not-found');
    } finally {
      await clients.close();
      await sim.close();
    }
  });
});

describe('LivyClient: auth header', () => {
  const SECRET = 'Basic c2hhbGU6dG9wLXNlY3JldA==';
  let sim: LivySimulator;
  let clients: LivyClients;
  const seen: unknown[] = [];

  beforeAll(async () => {
    sim = await startLivySimulator({ name: 'auth', csrf: true, startingMs: 30 });
    const options: LivyClientOptions = { authHeader: { name: 'Authorization', value: SECRET }, onRequest: (info) => seen.push(info) };
    clients = new LivyClients(options);
  });
  afterAll(async () => {
    await clients.close();
    await sim.close();
  });

  it('sends it on every method, and never puts its value in errors or metrics', async () => {
    const client = clients.for(sim.url);
    const created = await client.createBatch(request(uniqueName('auth')));
    await client.getBatch(created.id);
    await client.listBatches();
    await client.getLog(created.id);
    await client.deleteBatch(created.id);
    const notFound = await rejection(client.getBatch(created.id), LivyError);
    const rejected = await rejection(client.createBatch(request('999')), LivyError);
    const requests = sim.requests();
    expect(requests.map((r) => r.method).sort()).toEqual(['DELETE', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST']);
    expect(requests.every((r) => r.hasAuth)).toBe(true);
    for (const text of [notFound.message, rejected.message, String(notFound.stack), JSON.stringify(seen), JSON.stringify(requests)]) {
      expect(text).not.toContain('c2hhbGU6dG9wLXNlY3JldA');
    }
  });
});

describe('LivyClient: an endpoint that is gone', () => {
  it('unreachable: a stopped simulator refuses connections', async () => {
    const sim = await startLivySimulator({ name: 'gone' });
    const clients = new LivyClients({ connectTimeoutMs: 1_000 });
    try {
      const client = clients.for(sim.url);
      await client.listBatches(); // a kept-alive connection exists...
      await sim.stop(); // ...and is reset; new ones are refused
      for (const call of [client.listBatches(), client.createBatch(request(uniqueName('gone'))), client.deleteBatch(0)]) {
        const err = await rejection(call, LivyError);
        expect(err).toMatchObject({ kind: 'unreachable', errorType: ErrorType.LivyUnreachable, status: undefined });
        expect(err.message).toMatch(/did not answer \((ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)/);
      }
      // and recovers by itself once the endpoint is back
      await sim.start();
      expect((await client.listBatches()).total).toBe(0);
    } finally {
      await clients.close();
      await sim.close();
    }
  });

  it('unreachable after close(): the pool is gone', async () => {
    const sim = await startLivySimulator({ name: 'closed' });
    const clients = new LivyClients();
    try {
      const client = clients.for(sim.url);
      await client.listBatches();
      await clients.close();
      expect((await rejection(client.listBatches(), LivyError)).kind).toBe('unreachable');
    } finally {
      await sim.close();
    }
  });
});

describe('LivyClient: a rejected POST that Livy registered anyway (the failed start)', () => {
  it.each(['0.7', '0.9'] as const)('Livy %s: the leftover is deleted by name and the error says so', async (livyVersion) => {
    const sim = await startLivySimulator({ name: `leak-${livyVersion}`, livyVersion, localDirWhitelist: ['/srv/jobs/'], startingMs: 20 });
    const clients = new LivyClients();
    try {
      const client = clients.for(sim.url);
      const name = uniqueName('leak');
      const err = await rejection(client.createBatch({ ...request(name), file: 'file:///tmp/evil.py' }), LivyError);
      expect(err).toMatchObject({ kind: 'bad-request', status: 400, errorType: ErrorType.LivyBadRequest, leftover: 'deleted' });
      expect(err.message).toMatch(/Local path \/tmp\/evil\.py cannot be added to user sessions\..*registered .* anyway \(stuck in starting\); it was deleted/);
      // the name is free again, and the DELETE went by name
      expect(await client.findBatch(name)).toBeUndefined();
      expect(sim.requests({ method: 'DELETE', name })).toEqual([expect.objectContaining({ path: `/batches/${name}`, status: 200 })]);
      expect((await client.createBatch(request(name))).name).toBe(name);
    } finally {
      await clients.close();
      await sim.close();
    }
  });

  it('leaves a batch alone that is not the failed start (already running under the name)', async () => {
    const sim = await startLivySimulator({ name: 'not-a-leak', startingMs: 10, confBlacklist: ['spark.master'] });
    const clients = new LivyClients();
    try {
      const client = clients.for(sim.url);
      const name = uniqueName('running');
      await client.createBatch(request(name));
      await vi.waitFor(async () => expect((await client.getBatch(name)).state).toBe('running'), { timeout: 3_000, interval: 10 });
      // the same name with a refused conf: Livy answers "duplicate" (the name check comes first)
      const err = await rejection(client.createBatch(request(name, { 'spark.master': 'local' })), LivyError);
      expect(err.kind).toBe('duplicate-name');
      expect(sim.requests({ method: 'DELETE' })).toEqual([]);
      expect((await client.getBatch(name)).state).toBe('running');
    } finally {
      await clients.close();
      await sim.close();
    }
  });
});

describe('LivyClient: answers that are not Livy\'s', () => {
  it('a 200 whose body is not JSON is a server error, not a crash', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get('http://livy.test:8998').intercept({ path: '/batches?from=0&size=100', method: 'GET' }).reply(200, '<html>proxy login</html>');
    const client = new LivyClient('http://livy.test:8998', agent, {});
    const err = await rejection(client.listBatches(), LivyError);
    expect(err).toMatchObject({ kind: 'server-error', status: 200 });
    expect(err.message).toMatch(/not JSON: <html>proxy login/);
    await agent.close();
  });
});
