import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEAD_DIAGNOSTICS,
  SIMULATED_FAILURE,
  STDERR_MARKER,
  STDOUT_MARKER,
  startLivySimulator,
  type BatchView,
  type LivySimulator,
} from '../../dev/livy-sim/index.js';

// ---------------------------------------------------------------------------------------------
// helpers

interface Reply<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  text: string;
}

interface CallOptions {
  body?: unknown;
  /** Sent verbatim instead of JSON.stringify(body). */
  raw?: string;
  /** Leave out X-Requested-By (it is sent by default, as Shale always does). */
  noCsrfHeader?: boolean;
}

/** One request on a fresh connection (agent: false), so a restart never leaves a stale socket behind. */
function call<T = any>(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const headers: Record<string, string> = {};
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (!opts.noCsrfHeader) headers['x-requested-by'] = 'shale-test';
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

let counter = 0;
/** A batch name no other test uses, in Shale's `<job>-a<N>` shape. */
function uniqueName(prefix: string, attempt = 1): string {
  counter += 1;
  return `${prefix}-${counter}-a${attempt}`;
}

function submit(base: string, name: string | null, conf: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  // 201 answers carry the Batch, 400 ones {"msg"}
  return call<BatchView & { msg?: string }>(base, 'POST', '/batches', {
    body: { file: 's3://bucket/jobs/main.py', ...(name === null ? {} : { name }), conf, ...extra },
  });
}

async function stateOf(base: string, idOrName: number | string): Promise<string | number> {
  const r = await call<{ state: string }>(base, 'GET', `/batches/${idOrName}/state`);
  return r.status === 200 ? r.body.state : r.status;
}

/** Polls until the batch reaches `state` (or, for a number, until GET answers that status). */
async function waitFor(base: string, idOrName: number | string, state: string | number, timeout = 5_000): Promise<void> {
  await vi.waitFor(async () => expect(await stateOf(base, idOrName)).toBe(state), { timeout, interval: 10 });
}

async function expectRefused(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: 'ECONNREFUSED' });
}

// ---------------------------------------------------------------------------------------------
// the batch API

describe('livy simulator: batch API', () => {
  let sim: LivySimulator;
  let base: string;

  beforeAll(async () => {
    sim = await startLivySimulator({
      name: 'unit',
      retainMs: 300,
      startingMs: 40,
      defaultDurationMs: 150,
    });
    base = sim.url;
  });

  afterAll(async () => {
    await sim.close();
  });

  it('answers the health check with its name, also through global fetch', async () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    const res = await fetch(`${base}/admin/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, name: 'unit' });
  });

  it('POST answers 201 with the Batch, a Location header and JSON content type', async () => {
    const name = uniqueName('post');
    const r = await submit(base, name, { 'shale.sim.durationMs': '100' }, { proxyUser: 'hadoop', args: ['--day', '2024-01-01'] });
    expect(r.status).toBe(201);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers.location).toBe(`/batches/${r.body.id}`);
    expect(r.body).toEqual({
      id: r.body.id,
      name,
      owner: null,
      proxyUser: 'hadoop',
      state: 'starting',
      appId: null,
      // 0.7.1 has no executorLogUrls key (0.8 added it).
      appInfo: { driverLogUrl: null, sparkUiUrl: null },
      log: [STDOUT_MARKER, STDERR_MARKER],
    });
    expect(Number.isInteger(r.body.id)).toBe(true);
  });

  it('finds a batch by id and by name, and answers /state', async () => {
    const name = uniqueName('lookup');
    const { body: created } = await submit(base, name);
    const byId = await call<BatchView>(base, 'GET', `/batches/${created.id}`);
    const byName = await call<BatchView>(base, 'GET', `/batches/${name}`);
    expect(byId.status).toBe(200);
    expect(byId.body.name).toBe(name);
    expect(byName.status).toBe(200);
    expect(byName.body.id).toBe(created.id);
    const state = await call(base, 'GET', `/batches/${created.id}/state`);
    expect(state.status).toBe(200);
    expect(Object.keys(state.body).sort()).toEqual(['id', 'state']);
    expect(state.body.id).toBe(created.id);
    const stateByName = await call(base, 'GET', `/batches/${name}/state`);
    expect(stateByName.body.id).toBe(created.id);
  });

  it('answers 404 with Livy’s message for an unknown id or name', async () => {
    const byId = await call(base, 'GET', '/batches/4242');
    expect(byId.status).toBe(404);
    expect(byId.headers['content-type']).toMatch(/^application\/json/);
    expect(byId.body).toEqual({ msg: "Session '4242' not found." });
    const byName = await call(base, 'GET', '/batches/no-such-batch/state');
    expect(byName.status).toBe(404);
    expect(byName.body).toEqual({ msg: "Session 'no-such-batch' not found." });
    const del = await call(base, 'DELETE', '/batches/4242');
    expect(del.status).toBe(404);
    expect(del.body).toEqual({ msg: "Session '4242' not found." });
  });

  it('runs a batch to success: appId and URLs while running, driverLogUrl cleared at the end', async () => {
    const name = uniqueName('ok');
    const { body: created } = await submit(base, name, { 'shale.sim.durationMs': '300' });
    await waitFor(base, created.id, 'running');
    const running = (await call<BatchView>(base, 'GET', `/batches/${created.id}`)).body;
    expect(running.appId).toMatch(/^application_\d{13}_\d{4,}$/);
    expect(running.appInfo.sparkUiUrl).toMatch(new RegExp(`^${base}/`));
    expect(running.appInfo.driverLogUrl).toMatch(new RegExp(`^${base}/`));
    expect(running.appInfo).not.toHaveProperty('executorLogUrls');
    const driverLog = await call(base, 'GET', new URL(running.appInfo.driverLogUrl!).pathname);
    expect(driverLog.status).toBe(200);

    await waitFor(base, created.id, 'success');
    const done = (await call<BatchView>(base, 'GET', `/batches/${created.id}`)).body;
    expect(done.appId).toBe(running.appId);
    expect(done.appInfo.driverLogUrl).toBeNull();
    expect(done.appInfo.sparkUiUrl).toBe(running.appInfo.sparkUiUrl);
    // default 20 lines between the two section markers; the Batch object carries the last 10 entries
    expect(done.log).toEqual([...Array.from({ length: 9 }, (_, i) => `line ${12 + i} of ${name}`), STDERR_MARKER]);
    const log = await call(base, 'GET', `/batches/${created.id}/log`);
    expect(log.body).toMatchObject({ id: created.id, from: 0, total: 22 });
    expect(log.body.log.slice(0, 2)).toEqual([STDOUT_MARKER, `line 1 of ${name}`]);
  });

  it('pages the log: size defaults to 100, from defaults to the tail, negative size means all', async () => {
    const name = uniqueName('log');
    const { body: created } = await submit(base, name, { 'shale.sim.logLines': '150', 'shale.sim.durationMs': '0' });
    await waitFor(base, created.id, 'success');
    // 150 lines plus the stdout and stderr markers
    const tail = await call(base, 'GET', `/batches/${created.id}/log`);
    expect(tail.body.from).toBe(52);
    expect(tail.body.total).toBe(152);
    expect(tail.body.log).toHaveLength(100);
    expect(tail.body.log[0]).toBe(`line 52 of ${name}`);
    expect(tail.body.log.at(-1)).toBe(STDERR_MARKER);

    const page = await call(base, 'GET', `/batches/${created.id}/log?from=10&size=5`);
    expect(page.body).toEqual({
      id: created.id,
      from: 10,
      total: 152,
      log: [10, 11, 12, 13, 14].map((n) => `line ${n} of ${name}`),
    });
    const lastThree = await call(base, 'GET', `/batches/${created.id}/log?size=3`);
    expect(lastThree.body.from).toBe(149);
    expect(lastThree.body.log).toEqual([`line 149 of ${name}`, `line 150 of ${name}`, STDERR_MARKER]);
    const all = await call(base, 'GET', `/batches/${created.id}/log?size=-1`);
    expect(all.body.from).toBe(0);
    expect(all.body.log).toHaveLength(152);
    const past = await call(base, 'GET', `/batches/${created.id}/log?from=500`);
    expect(past.body).toMatchObject({ from: 500, total: 152, log: [] });
    const bad = await call(base, 'GET', `/batches/${created.id}/log?size=many`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ msg: 'For input string: "many"' });
  });

  it('lists held batches: from/size page the sessions, total counts them all', async () => {
    await submit(base, uniqueName('list'));
    await submit(base, uniqueName('list'));
    const all = await call(base, 'GET', '/batches');
    expect(all.status).toBe(200);
    expect(all.body.from).toBe(0);
    expect(all.body.total).toBe(all.body.sessions.length);
    expect(all.body.total).toBeGreaterThanOrEqual(2);
    const ids = all.body.sessions.map((s: BatchView) => s.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
    const page = await call(base, 'GET', '/batches?from=1&size=1');
    expect(page.body.from).toBe(1);
    expect(page.body.sessions).toHaveLength(1);
    expect(page.body.total).toBeGreaterThanOrEqual(2);
  });

  it('runs a batch to dead, its log ending with the YARN diagnostics in the stderr section', async () => {
    const name = uniqueName('dead');
    const { body: created } = await submit(base, name, { 'shale.sim.outcome': 'dead', 'shale.sim.logLines': '4' });
    await waitFor(base, created.id, 'dead');
    const log = await call(base, 'GET', `/batches/${created.id}/log`);
    expect(log.body.total).toBe(7);
    expect(log.body.log.slice(-3)).toEqual([`line 4 of ${name}`, STDERR_MARKER, DEAD_DIAGNOSTICS]);
    expect(DEAD_DIAGNOSTICS).toBe('YARN Diagnostics: User application exited with status 1');
    const batch = (await call<BatchView>(base, 'GET', `/batches/${created.id}`)).body;
    expect(batch.log.at(-1)).toBe(DEAD_DIAGNOSTICS);
    expect(batch.appInfo.driverLogUrl).toBeNull();
  });

  it('runs a batch to killed', async () => {
    const { body: created } = await submit(base, uniqueName('killed'), { 'shale.sim.outcome': 'killed' });
    await waitFor(base, created.id, 'killed');
  });

  it('picks the outcome per attempt from shale.sim.outcomes (last entry past the end)', async () => {
    const conf = { 'shale.sim.outcomes': 'dead,killed,success', 'shale.sim.durationMs': '50' };
    const job = `attempts-${Date.now()}`;
    const expected: Array<[number, string]> = [[1, 'dead'], [2, 'killed'], [3, 'success'], [7, 'success']];
    const ids = [];
    for (const [attempt] of expected) ids.push((await submit(base, `${job}-a${attempt}`, conf)).body.id);
    for (const [i, [, state]] of expected.entries()) await waitFor(base, ids[i]!, state);

    // outcomes overrides outcome; a name without -a<N> is attempt 1
    const plain = await submit(base, `plain-${Date.now()}`, { 'shale.sim.outcomes': 'killed,success', 'shale.sim.outcome': 'success' });
    await waitFor(base, plain.body.id, 'killed');
  });

  it('rejects a duplicate name while the batch is held; accepts it again after DELETE', async () => {
    const name = uniqueName('dup');
    const first = await submit(base, name, { 'shale.sim.durationMs': '10000' });
    expect(first.status).toBe(201);
    const dup = await submit(base, name);
    expect(dup.status).toBe(400);
    // 0.7.1's form (the default): no "Rejected, Reason: " prefix
    expect(dup.body).toEqual({ msg: `Duplicate session name: Some(${name}) for session ${first.body.id + 1}` });
    const del = await call(base, 'DELETE', `/batches/${first.body.id}`);
    expect(del.status).toBe(200);
    const again = await submit(base, name);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
  });

  it('collects finished batches after retainMs, then accepts their name again', async () => {
    const name = uniqueName('collect');
    const { body: created } = await submit(base, name, { 'shale.sim.durationMs': '20' });
    await waitFor(base, created.id, 'success');
    expect((await submit(base, name)).status).toBe(400);
    await waitFor(base, created.id, 404, 3_000);
    expect((await call(base, 'GET', `/batches/${name}`)).status).toBe(404);
    expect((await submit(base, name)).status).toBe(201);
  });

  it('keeps running batches however long they run (collection only takes finished ones)', async () => {
    const { body: long } = await submit(base, uniqueName('long'), { 'shale.sim.durationMs': '60000' });
    const { body: short } = await submit(base, uniqueName('short'), { 'shale.sim.durationMs': '0' });
    await waitFor(base, long.id, 'running');
    await waitFor(base, short.id, 404, 3_000); // a sweep has collected the finished one...
    expect(await stateOf(base, long.id)).toBe('running'); // ...and left the running one
    await call(base, 'DELETE', `/batches/${long.id}`);
  });

  it('rejects bad bodies with 400: {"msg"} for Livy\'s checks, a bare JSON string for what its JSON mapper refuses', async () => {
    const digits = await submit(base, '12345');
    expect(digits.status).toBe(400);
    expect(digits.body).toEqual({ msg: 'Invalid session name: 12345' });

    const unknown = await call(base, 'POST', '/batches', { body: { file: 's3://b/x.py', name: uniqueName('u'), extra: 1 } });
    expect(unknown.status).toBe(400);
    expect(typeof unknown.body).toBe('string');
    expect(unknown.body).toMatch(/^Unrecognized field "extra"/);
    expect(unknown.text.startsWith('"Unrecognized field')).toBe(true);
    // Jackson 2.9's text as Livy 0.7.1 answers it: its own property order, then where it stopped.
    expect(unknown.body).toMatch(/not marked as ignorable \(16 known properties: "executorCores", "className", .*, "queue"\]\)\n at \[Source: \(org\.eclipse\.jetty\.server\.HttpInputOverHTTP\); line: 1, column: \d+\] \(through reference chain: org\.apache\.livy\.server\.batch\.CreateBatchRequest\["extra"\]\)$/);

    const malformed = await call(base, 'POST', '/batches', { raw: '{"file": "x.py",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatch(/^Unexpected end-of-input within\/between Object entries\n at \[Source: /);
    const badToken = await call(base, 'POST', '/batches', { raw: '{"file": x}' });
    expect(badToken.body).toMatch(/^Unrecognized token 'x': was expecting \('true', 'false' or 'null'\)\n at \[Source: /);
    const array = await call(base, 'POST', '/batches', { raw: '[1]' });
    expect(array.body).toBe('Cannot deserialize instance of `org.apache.livy.server.batch.CreateBatchRequest` out of START_ARRAY token\n at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: 1, column: 1]');

    const empty = await call(base, 'POST', '/batches', { raw: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toBe('No content to map due to end-of-input\n at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: 1, column: 0]');

    const wrongType = await call(base, 'POST', '/batches', { body: { file: 's3://b/x.py', args: 'not-a-list' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatch(/^Cannot deserialize instance of `scala\.collection\.immutable\.List` out of VALUE_STRING token\n at \[Source: .*\(through reference chain: org\.apache\.livy\.server\.batch\.CreateBatchRequest\["args"\]\)$/);

    const badSim = await submit(base, uniqueName('badsim'), { 'shale.sim.outcome': 'sucess' });
    expect(badSim.status).toBe(400);
    expect(badSim.body.msg).toMatch(/shale\.sim\.outcome/);
  });

  it('DELETE answers {"msg":"deleted"} and erases the record (a running app is killed)', async () => {
    const name = uniqueName('del');
    const { body: created } = await submit(base, name, { 'shale.sim.durationMs': '10000' });
    await waitFor(base, created.id, 'running');
    const del = await call(base, 'DELETE', `/batches/${created.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ msg: 'deleted' });
    expect((await call(base, 'GET', `/batches/${created.id}`)).status).toBe(404);
    expect((await call(base, 'GET', `/batches/${name}`)).status).toBe(404);
    const list = await call(base, 'GET', '/batches');
    expect(list.body.sessions.map((s: BatchView) => s.id)).not.toContain(created.id);
  });

  it('forces an outcome through POST /admin/batches/{id}/finish', async () => {
    const { body: created } = await submit(base, uniqueName('force'), { 'shale.sim.durationMs': '60000' });
    await waitFor(base, created.id, 'running');
    const forced = await call(base, 'POST', `/admin/batches/${created.id}/finish`, { body: { state: 'dead' } });
    expect(forced.status).toBe(200);
    expect(forced.body.state).toBe('dead');
    expect(await stateOf(base, created.id)).toBe('dead');
    const again = await call(base, 'POST', `/admin/batches/${created.id}/finish`, { body: { state: 'success' } });
    expect(again.status).toBe(409);
    const bad = await call(base, 'POST', `/admin/batches/${created.id}/finish`, { body: { state: 'done' } });
    expect(bad.status).toBe(400);
  });

  it('logs batch API requests: POSTs and DELETEs per name, with the id resolved before erasing', async () => {
    sim.clearRequests();
    const name = uniqueName('logged');
    const first = await submit(base, name, { 'shale.sim.durationMs': '10000' });
    await submit(base, name); // duplicate: 400
    await call(base, 'GET', `/batches/${first.body.id}?ignored=1`);
    await call(base, 'DELETE', `/batches/${first.body.id}`);
    await call(base, 'GET', '/admin/health'); // admin calls are not logged

    expect(sim.requests({ method: 'POST', name })).toHaveLength(2);
    expect(sim.requests({ method: 'post', name }).map((e) => e.status)).toEqual([201, 400]);
    const deletes = sim.requests({ method: 'DELETE', name });
    expect(deletes).toHaveLength(1);
    expect(deletes[0]).toMatchObject({ method: 'DELETE', path: `/batches/${first.body.id}`, status: 200, batchId: first.body.id, batchName: name });
    const gets = sim.requests({ method: 'GET', name });
    expect(gets).toEqual([expect.objectContaining({ path: `/batches/${first.body.id}`, status: 200, batchId: first.body.id })]);
    expect(sim.requests().every((e) => e.path.startsWith('/batches'))).toBe(true);
    expect(sim.requests()[0]!.at).toBeLessThanOrEqual(Date.now());

    const viaAdmin = await call(base, 'GET', `/admin/requests?method=POST&name=${encodeURIComponent(name)}`);
    expect(viaAdmin.body.requests).toHaveLength(2);
    expect((await call(base, 'DELETE', '/admin/requests')).status).toBe(200);
    expect(sim.requests()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// options: CSRF and capacity

describe('livy simulator: CSRF protection', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ csrf: true, startingMs: 20, defaultDurationMs: 50 });
  });
  afterAll(() => sim.close());

  it('rejects POST and DELETE without X-Requested-By; GET passes', async () => {
    const body = { file: 's3://b/x.py', name: uniqueName('csrf') };
    const missing = await call(sim.url, 'POST', '/batches', { body, noCsrfHeader: true });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ msg: 'Missing Required Header for CSRF protection.' });
    const ok = await call(sim.url, 'POST', '/batches', { body });
    expect(ok.status).toBe(201);
    expect((await call(sim.url, 'GET', `/batches/${ok.body.id}`, { noCsrfHeader: true })).status).toBe(200);
    const del = await call(sim.url, 'DELETE', `/batches/${ok.body.id}`, { noCsrfHeader: true });
    expect(del.status).toBe(400);
    expect((await call(sim.url, 'DELETE', `/batches/${ok.body.id}`)).status).toBe(200);
  });
});

describe('livy simulator: capacity', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ maxInFlightSubmits: 2, startingMs: 60_000 });
  });
  afterAll(() => sim.close());

  it('rejects POST while maxInFlightSubmits batches are starting', async () => {
    const a = await submit(sim.url, uniqueName('cap'));
    const b = await submit(sim.url, uniqueName('cap'));
    expect([a.status, b.status]).toEqual([201, 201]);
    const c = await submit(sim.url, uniqueName('cap'));
    expect(c.status).toBe(400);
    expect(c.body).toEqual({ msg: 'Rejected, too many sessions are being created!' });
    // capacity is checked before the body is even read, as Livy does
    expect((await call(sim.url, 'POST', '/batches', { raw: 'not json' })).body.msg).toBe('Rejected, too many sessions are being created!');
    // once one leaves 'starting' there is room again
    await call(sim.url, 'POST', `/admin/batches/${a.body.id}/finish`, { body: { state: 'killed' } });
    expect((await submit(sim.url, uniqueName('cap'))).status).toBe(201);
  });
});

// ---------------------------------------------------------------------------------------------
// restarts, cluster loss, faults: each with its own simulator

describe('livy simulator: restart', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 20, defaultDurationMs: 100, recoveringMs: 400 });
  });
  afterAll(() => sim.close());

  it('without state: batches forgotten, ids restart at 0, old names accepted again', async () => {
    const port = sim.port;
    const name = uniqueName('forget');
    const a = await submit(sim.url, name, { 'shale.sim.durationMs': '60000' });
    const b = await submit(sim.url, uniqueName('forget'));
    expect([a.body.id, b.body.id]).toEqual([0, 1]);
    await sim.restart({ keepState: false });
    expect(sim.port).toBe(port);
    expect((await call(sim.url, 'GET', '/batches')).body).toEqual({ from: 0, total: 0, sessions: [] });
    expect((await call(sim.url, 'GET', `/batches/${name}`)).status).toBe(404);
    const again = await submit(sim.url, name);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(0);
  });

  it('with state: running ones show recovering then continue, success stays, dead/killed are gone', async () => {
    await sim.restart({ keepState: false });
    const ok = await submit(sim.url, uniqueName('keep-ok'), { 'shale.sim.durationMs': '0' });
    const dead = await submit(sim.url, uniqueName('keep-dead'), { 'shale.sim.durationMs': '0', 'shale.sim.outcome': 'dead' });
    const long = await submit(sim.url, uniqueName('keep-run'), { 'shale.sim.durationMs': '1000' });
    await waitFor(sim.url, ok.body.id, 'success');
    await waitFor(sim.url, dead.body.id, 'dead');
    await waitFor(sim.url, long.body.id, 'running');
    const appId = (await call<BatchView>(sim.url, 'GET', `/batches/${long.body.id}`)).body.appId;

    await sim.restart({ keepState: true });
    expect(await stateOf(sim.url, long.body.id)).toBe('recovering');
    expect(await stateOf(sim.url, ok.body.id)).toBe('recovering');
    expect(await stateOf(sim.url, dead.body.id)).toBe(404);

    await waitFor(sim.url, long.body.id, 'running');
    await waitFor(sim.url, ok.body.id, 'success');
    await waitFor(sim.url, long.body.id, 'success');
    expect((await call<BatchView>(sim.url, 'GET', `/batches/${long.body.id}`)).body.appId).toBe(appId);
    // the id counter was kept
    const next = await submit(sim.url, uniqueName('keep-next'));
    expect(next.body.id).toBe(3);
  });

  it('POST /admin/restart answers, then the server is fresh', async () => {
    const name = uniqueName('admin-restart');
    await submit(sim.url, name);
    const r = await call(sim.url, 'POST', '/admin/restart', { body: { keepState: false } });
    expect(r.status).toBe(200);
    expect((await call(sim.url, 'GET', `/batches/${name}`)).status).toBe(404);
    expect((await call(sim.url, 'GET', '/batches')).body.total).toBe(0);
    expect((await call(sim.url, 'POST', '/admin/restart', { body: {} })).status).toBe(400);
  });

  it('resets kept-alive connections on restart', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let restarted: Promise<void> = Promise.resolve();
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${sim.url}/admin/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            // the socket now idles in the agent's pool; the restart must close it
            req.socket?.once('close', () => resolve());
            restarted = sim.restart({ keepState: true });
          });
        });
        req.on('error', reject);
      });
      await restarted;
    } finally {
      agent.destroy();
    }
  });
});

describe('livy simulator: stop and start (cluster loss)', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 20, defaultDurationMs: 60_000 });
  });
  afterAll(() => sim.close());

  it('refuses connections after stop(), works again after start() with empty state', async () => {
    const port = sim.port;
    const name = uniqueName('lost');
    await submit(sim.url, name);
    await submit(sim.url, uniqueName('lost'));
    await sim.stop();
    await expectRefused(call(sim.url, 'GET', '/batches'));
    await expectRefused(call(sim.url, 'GET', '/admin/health'));
    await sim.stop(); // idempotent

    await sim.start();
    expect(sim.port).toBe(port);
    expect((await call(sim.url, 'GET', '/admin/health')).status).toBe(200);
    expect((await call(sim.url, 'GET', `/batches/${name}`)).status).toBe(404);
    const fresh = await submit(sim.url, name);
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).toBe(0);
  });

  it('close() is final', async () => {
    const other = await startLivySimulator();
    await other.close();
    await expectRefused(call(other.url, 'GET', '/admin/health'));
    await expect(other.start()).rejects.toThrow(/closed/);
  });
});

describe('livy simulator: faults', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 20, defaultDurationMs: 100 });
  });
  afterEach(() => sim.setFaults({ latencyMs: 0, errorRate: 0, dropRate: 0, postAnswerDelayMs: 0 }));
  afterAll(() => sim.close());

  it('errorRate 1: every batch API call gets 500 {"msg":"simulated failure"}; admin still works', async () => {
    sim.clearRequests();
    sim.setFaults({ errorRate: 1 });
    const name = uniqueName('err');
    const post = await submit(sim.url, name);
    expect(post.status).toBe(500);
    expect(post.body).toEqual({ msg: SIMULATED_FAILURE });
    expect((await call(sim.url, 'GET', '/batches')).status).toBe(500);
    expect((await call(sim.url, 'GET', '/admin/health')).status).toBe(200);
    expect(sim.requests({ method: 'POST', name })).toEqual([expect.objectContaining({ status: 500, batchName: name })]);
    // nothing was created
    sim.setFaults({ errorRate: 0 });
    expect((await call(sim.url, 'GET', `/batches/${name}`)).status).toBe(404);
  });

  it('dropRate 1: the socket is destroyed without an answer; admin still works', async () => {
    sim.clearRequests();
    const r = await call(sim.url, 'POST', '/admin/faults', { body: { dropRate: 1 } });
    expect(r.status).toBe(200);
    expect(r.body.faults).toEqual({ latencyMs: 0, errorRate: 0, errorStatus: 500, dropRate: 1, postAnswerDelayMs: 0 });
    const name = uniqueName('drop');
    await expect(submit(sim.url, name)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|socket hang up/i) });
    expect((await call(sim.url, 'GET', '/admin/health')).status).toBe(200);
    expect(sim.requests({ name })).toEqual([expect.objectContaining({ method: 'POST', status: 0 })]);
  });

  it('latencyMs delays batch API answers but not admin ones', async () => {
    sim.setFaults({ latencyMs: 250 });
    const t0 = performance.now();
    expect((await call(sim.url, 'GET', '/batches')).status).toBe(200);
    const slow = performance.now() - t0;
    expect(slow).toBeGreaterThanOrEqual(240);
    const t1 = performance.now();
    expect((await call(sim.url, 'GET', '/admin/health')).status).toBe(200);
    expect(performance.now() - t1).toBeLessThan(slow);
  });

  it('postAnswerDelayMs: POST /batches is handled at once, only its answer is held back', async () => {
    sim.clearRequests();
    const r = await call(sim.url, 'POST', '/admin/faults', { body: { postAnswerDelayMs: 800 } });
    expect(r.body.faults).toEqual({ latencyMs: 0, errorRate: 0, errorStatus: 500, dropRate: 0, postAnswerDelayMs: 800 });
    const name = uniqueName('late');
    const t0 = performance.now();
    let answered = false;
    const post = submit(sim.url, name, { 'shale.sim.durationMs': '60000' }).finally(() => (answered = true));

    // The batch exists and the POST is logged while its answer is still on hold.
    await vi.waitFor(() => expect(sim.requests({ method: 'POST', name })).toEqual([expect.objectContaining({ status: 201 })]), {
      timeout: 2_000,
      interval: 5,
    });
    const meanwhile = await call<BatchView>(sim.url, 'GET', `/batches/${name}`);
    expect(meanwhile.status).toBe(200);
    // other requests are not delayed
    expect((await call(sim.url, 'GET', '/batches')).status).toBe(200);
    expect(answered).toBe(false);

    const late = await post;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(790);
    expect(late.status).toBe(201);
    expect(late.body.id).toBe(meanwhile.body.id);
    expect(sim.requests({ method: 'POST', name })).toHaveLength(1);
  });

  it('postAnswerDelayMs: a client that gives up and retries hits the duplicate name, never a second batch', async () => {
    sim.setFaults({ postAnswerDelayMs: 10_000 });
    const name = uniqueName('gaveup');
    const controller = new AbortController();
    const first = fetch(`${sim.url}/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-by': 't' },
      body: JSON.stringify({ file: 's3://b/x.py', name }),
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(sim.requests({ method: 'POST', name })).toHaveLength(1), { timeout: 2_000, interval: 5 });
    controller.abort();
    await expect(first).rejects.toThrow();
    sim.setFaults({ postAnswerDelayMs: 0 });
    const retry = await submit(sim.url, name);
    expect(retry.status).toBe(400);
    expect(retry.body.msg).toMatch(/Duplicate session name/);
    const held = (await call(sim.url, 'GET', '/batches')).body.sessions.filter((s: BatchView) => s.name === name);
    expect(held).toHaveLength(1);
  });

  it('logs whether a request carried Authorization (never its value) and the connection it came on', async () => {
    sim.clearRequests();
    const secret = 'Bearer s3cr3t-value';
    const res = await fetch(`${sim.url}/batches/no-such`, { headers: { authorization: secret } });
    expect(res.status).toBe(404);
    await call(sim.url, 'GET', '/batches/no-such-either');
    const [withAuth, without] = sim.requests({ method: 'GET' });
    expect(withAuth).toMatchObject({ path: '/batches/no-such', hasAuth: true });
    expect(without).toMatchObject({ path: '/batches/no-such-either', hasAuth: false });
    expect(JSON.stringify(sim.requests())).not.toContain('s3cr3t');
    // call() opens a fresh connection each time
    expect(without!.connection).not.toBe(withAuth!.connection);

    // a keep-alive agent sends many requests over one connection
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      sim.clearRequests();
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          http.get(`${sim.url}/batches`, { agent }, (r) => r.resume().on('end', resolve)).on('error', reject);
        });
      }
      expect(new Set(sim.requests().map((e) => e.connection)).size).toBe(1);
      expect(sim.requests()).toHaveLength(5);
    } finally {
      agent.destroy();
    }
  });

  it('rejects bad fault settings', async () => {
    expect((await call(sim.url, 'POST', '/admin/faults', { body: { errorRate: 2 } })).status).toBe(400);
    expect((await call(sim.url, 'POST', '/admin/faults', { body: { jitter: 1 } })).status).toBe(400);
    expect(() => sim.setFaults({ dropRate: -1 })).toThrow();
    expect((await call(sim.url, 'POST', '/admin/faults', { body: { postAnswerDelayMs: -5 } })).status).toBe(400);
    expect(() => sim.setFaults({ postAnswerDelayMs: Number.NaN })).toThrow(/postAnswerDelayMs/);
    expect((await call(sim.url, 'POST', '/admin/faults', { body: { errorStatus: 200 } })).status).toBe(400);
    expect((await call(sim.url, 'GET', '/admin/faults')).body.faults).toEqual({ latencyMs: 0, errorRate: 0, errorStatus: 500, dropRate: 0, postAnswerDelayMs: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
// Livy 0.7.1 and 0.9: error forms, the failed start that stays registered, the log buffer

describe('livy simulator: 0.7 and 0.9 error forms', () => {
  const sims: LivySimulator[] = [];
  afterAll(() => Promise.all(sims.map((s) => s.close())));

  it.each(['0.7', '0.9'] as const)('Livy %s: rejections with and without "Rejected, Reason: ", the same capacity, 404 and bare-string texts', async (version) => {
    const sim = await startLivySimulator({ livyVersion: version, maxInFlightSubmits: 2, startingMs: 60_000 });
    sims.push(sim);
    const prefix = version === '0.9' ? 'Rejected, Reason: ' : '';
    const name = uniqueName(`v${version}`);
    const first = await submit(sim.url, name);
    expect(first.status).toBe(201);
    expect((await submit(sim.url, name)).body).toEqual({ msg: `${prefix}Duplicate session name: Some(${name}) for session 1` });
    expect((await submit(sim.url, '4711')).body).toEqual({ msg: `${prefix}Invalid session name: 4711` });
    const second = await submit(sim.url, uniqueName('second'));
    expect(second.status).toBe(201);
    expect((await submit(sim.url, uniqueName('full'))).body).toEqual({ msg: 'Rejected, too many sessions are being created!' });
    await call(sim.url, 'DELETE', `/batches/${name}`);
    expect((await call(sim.url, 'POST', '/batches', { body: { name: uniqueName('nofile') } })).body).toEqual({ msg: `${prefix}requirement failed: File is required.` });
    const unknown = await call(sim.url, 'POST', '/batches', { body: { file: 's3://b/x.py', bogus: true } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatch(/^Unrecognized field "bogus"/);
    expect((await call(sim.url, 'GET', '/batches/nobody-a1')).body).toEqual({ msg: "Session 'nobody-a1' not found." });
    // 0.8 added appInfo.executorLogUrls; 0.7.1 has no such key.
    const view = (await call<BatchView>(sim.url, 'GET', `/batches/${second.body.id}`)).body;
    if (version === '0.9') expect(view.appInfo.executorLogUrls).toBeNull();
    else expect(view.appInfo).not.toHaveProperty('executorLogUrls');
  });
});

describe('livy simulator: a failed start stays registered (400, yet the batch is held)', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 20, defaultDurationMs: 60_000, localDirWhitelist: ['/srv/jobs/'], confBlacklist: ['spark.master'] });
  });
  afterAll(() => sim.close());

  it.each([
    ['a local file outside the whitelist', { file: 'file:///tmp/evil.py' }, 'requirement failed: Local path /tmp/evil.py cannot be added to user sessions.'],
    ['no file', {}, 'requirement failed: File is required.'],
    ['a blacklisted conf', { file: 's3://b/x.py', conf: { 'spark.master': 'local[*]' } }, 'Blacklisted configuration values in session config: spark.master'],
    ['a relative path', { file: 'jobs/x.py' }, "requirement failed: Path 'jobs/x.py' is not absolute."],
    // Livy appends '/' to each whitelist entry: a sibling folder whose name starts the same is outside.
    ['a sibling of a whitelisted folder', { file: 'file:///srv/jobs-other/x.py' }, 'requirement failed: Local path /srv/jobs-other/x.py cannot be added to user sessions.'],
  ])('%s: 400, then the name is taken, the batch sits in starting and counts in total until a DELETE', async (_what, body, msg) => {
    const name = uniqueName('leak');
    const totalBefore = (await call(sim.url, 'GET', '/batches')).body.total;
    const rejected = await call(sim.url, 'POST', '/batches', { body: { name, ...body } });
    expect(rejected.status).toBe(400);
    expect(rejected.body).toEqual({ msg });

    const held = await call<BatchView>(sim.url, 'GET', `/batches/${name}`);
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ name, state: 'starting', appId: null, log: [] });
    expect((await call(sim.url, 'GET', '/batches')).body.total).toBe(totalBefore + 1);
    expect((await submit(sim.url, name)).body.msg).toMatch(/Duplicate session name/);
    // time passes for others (a batch posted later runs) while the failed start stays put
    const later = await submit(sim.url, uniqueName('later'));
    await waitFor(sim.url, later.body.id, 'running');
    expect(await stateOf(sim.url, name)).toBe('starting');
    // no app was ever launched for it
    expect((await call(sim.url, 'GET', `/ws/v1/cluster/apps?applicationTags=${name}`)).body).toEqual({ apps: null });

    expect((await call(sim.url, 'DELETE', `/batches/${name}`)).body).toEqual({ msg: 'deleted' });
    expect(await stateOf(sim.url, name)).toBe(404);
    expect((await submit(sim.url, name)).status).toBe(201);
  });

  it('a failed start can be removed by id as well, and a whitelisted local file starts', async () => {
    const rejected = await call(sim.url, 'POST', '/batches', { body: { name: uniqueName('leak-id'), file: 'file:///etc/passwd' } });
    expect(rejected.status).toBe(400);
    expect(sim.requests({ method: 'POST' }).at(-1)).toMatchObject({ status: 400, batchId: expect.any(Number) });
    const id = sim.requests({ method: 'POST' }).at(-1)!.batchId!;
    expect(await stateOf(sim.url, id)).toBe('starting');
    expect((await call(sim.url, 'DELETE', `/batches/${id}`)).status).toBe(200);
    expect((await call(sim.url, 'POST', '/batches', { body: { name: uniqueName('local-ok'), file: 'file:///srv/jobs/etl.py' } })).status).toBe(201);
  });

  it('an int field holding a string or a fraction: 500 with the bare ClassCastException text, and the batch is held', async () => {
    for (const [field, value, javaClass] of [['driverCores', '2', 'java.lang.String'], ['numExecutors', 1.5, 'java.lang.Double']] as const) {
      const name = uniqueName('cast');
      const rejected = await call(sim.url, 'POST', '/batches', { body: { name, file: 's3://b/x.py', [field]: value } });
      expect(rejected.status).toBe(500);
      expect(rejected.body).toBe(
        `java.lang.ClassCastException: class ${javaClass} cannot be cast to class java.lang.Integer (${javaClass} and java.lang.Integer are in module java.base of loader 'bootstrap')`,
      );
      expect(await stateOf(sim.url, name)).toBe('starting');
      expect((await call(sim.url, 'DELETE', `/batches/${name}`)).status).toBe(200);
    }
    expect((await call(sim.url, 'POST', '/batches', { body: { name: uniqueName('int-ok'), file: 's3://b/x.py', driverCores: 2 } })).status).toBe(201);
  });
});

describe('livy simulator: paths without a scheme resolve against defaultFs', () => {
  const sims: LivySimulator[] = [];
  afterAll(() => Promise.all(sims.map((s) => s.close())));

  it('on EMR (HDFS by default) a plain /path is not local; with a file: default it is, and the whitelist applies', async () => {
    const emr = await startLivySimulator({ localDirWhitelist: ['/srv/jobs'] });
    const local = await startLivySimulator({ localDirWhitelist: ['/srv/jobs'], defaultFs: 'file:///' });
    sims.push(emr, local);
    const post = (url: string, file: string) => call(url, 'POST', '/batches', { body: { name: uniqueName('fs'), file } });
    expect((await post(emr.url, '/etc/x.py')).status).toBe(201);
    const refused = await post(local.url, '/etc/x.py');
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ msg: 'requirement failed: Local path /etc/x.py cannot be added to user sessions.' });
    expect((await post(local.url, '/srv/jobs/x.py')).status).toBe(201);
    // Livy does not normalise '..' (java.net.URI's getPath): the whitelist lets it through (seen on 0.7.1).
    expect((await post(local.url, 'file:///srv/jobs/../../etc/x.py')).status).toBe(201);
  });
});

describe('livy simulator: routes it does not serve answer as Livy\'s Jetty does', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 20, defaultDurationMs: 60_000 });
  });
  afterAll(() => sim.close());

  it('405 with Allow and an empty body for a method a route lacks; an empty 404 for an unknown path', async () => {
    const created = await submit(sim.url, uniqueName('routes'));
    const put = await call(sim.url, 'PUT', `/batches/${created.body.id}`);
    expect([put.status, put.text, put.headers.allow]).toEqual([405, '', 'DELETE, GET, HEAD']);
    const root = await call(sim.url, 'DELETE', '/batches');
    expect([root.status, root.text, root.headers.allow]).toEqual([405, '', 'POST, GET, HEAD']);
    const stateDelete = await call(sim.url, 'DELETE', `/batches/${created.body.id}/state`);
    expect([stateDelete.status, stateDelete.headers.allow]).toEqual([405, 'GET, HEAD']);
    for (const path of [`/batches/${created.body.id}/nope`, `/batches/${created.body.id}/log/x`, '/nope']) {
      const answer = await call(sim.url, 'GET', path);
      expect([answer.status, answer.text]).toEqual([404, '']);
      expect(answer.headers['content-type']).toBe('application/json;charset=utf-8');
    }
  });
});

describe('livy simulator: the log, as Livy keeps it', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 10, defaultDurationMs: 100 });
  });
  afterAll(() => sim.close());

  const log = async (idOrName: number | string, query = 'from=0&size=1000') =>
    (await call<{ from: number; total: number; log: string[] }>(sim.url, 'GET', `/batches/${idOrName}/log?${query}`)).body;

  it('keeps the last 200 lines of each section: total stops at 202 and the lines shift', async () => {
    const name = uniqueName('buffer');
    await submit(sim.url, name, { 'shale.sim.logLines': '400', 'shale.sim.durationMs': '0' });
    await waitFor(sim.url, name, 'success');
    const all = await log(name);
    expect(all.total).toBe(202);
    expect(all.log).toEqual([STDOUT_MARKER, ...Array.from({ length: 200 }, (_, i) => `line ${201 + i} of ${name}`), STDERR_MARKER]);
    // paging from the tail: size 100 starts at 102
    expect((await log(name, 'size=100')).from).toBe(102);
  });

  it('shifts every index as a full buffer takes new lines, so paging from the previous total loses them', async () => {
    const name = uniqueName('shifting');
    await submit(sim.url, name, { 'shale.sim.logLines': '100000', 'shale.sim.durationMs': '60000' });
    let first: string[] = [];
    await vi.waitFor(async () => {
      const read = await log(name);
      expect(read.total).toBe(202);
      first = read.log;
    }, { timeout: 5_000, interval: 20 });
    await vi.waitFor(async () => expect((await log(name)).log[1]).not.toBe(first[1]), { timeout: 5_000, interval: 20 });
    const again = await log(name);
    expect(again.total).toBe(202);
    expect(again.log[0]).toBe(STDOUT_MARKER);
    expect(again.log.at(-1)).toBe(STDERR_MARKER);
    // what `from=<previous total>` returns: nothing, although lines were written meanwhile
    expect((await log(name, 'from=202&size=100')).log).toEqual([]);
    await call(sim.url, 'DELETE', `/batches/${name}`);
  });

  it('an app that exits non-zero without an exception ends dead with the stderr marker as the last entry', async () => {
    const name = uniqueName('silent');
    await submit(sim.url, name, { 'shale.sim.outcome': 'exit-nonzero', 'shale.sim.logLines': '3', 'spark.yarn.tags': name });
    await waitFor(sim.url, name, 'dead');
    expect((await log(name)).log).toEqual([STDOUT_MARKER, `line 1 of ${name}`, `line 2 of ${name}`, `line 3 of ${name}`, STDERR_MARKER]);
    expect((await call<BatchView>(sim.url, 'GET', `/batches/${name}`)).body.log.at(-1)).toBe(STDERR_MARKER);
    const [app] = (await call(sim.url, 'GET', `/ws/v1/cluster/apps?applicationTags=${name}`)).body.apps.app;
    expect(app).toMatchObject({ state: 'FINISHED', finalStatus: 'FAILED', diagnostics: '' });
  });
});

// ---------------------------------------------------------------------------------------------
// YARN's ResourceManager, on the same port

interface RmApp {
  id: string;
  name: string;
  state: string;
  finalStatus: string;
  diagnostics: string;
  applicationTags: string;
  startedTime: number;
  finishedTime: number;
}

async function appsByTag(base: string, tag: string): Promise<RmApp[]> {
  const r = await call<{ apps: { app: RmApp[] } | null }>(base, 'GET', `/ws/v1/cluster/apps?applicationTags=${encodeURIComponent(tag)}`);
  expect(r.status).toBe(200);
  return r.body.apps?.app ?? [];
}

async function yarnStateOf(base: string, tag: string): Promise<string> {
  const apps = await appsByTag(base, tag);
  return apps.length === 1 ? `${apps[0]!.state}/${apps[0]!.finalStatus}` : `${apps.length} apps`;
}

describe('livy simulator: the ResourceManager endpoint', () => {
  let sim: LivySimulator;
  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 20, defaultDurationMs: 60_000 });
  });
  afterEach(() => sim.setFaults({ errorRate: 0, errorStatus: 500, dropRate: 0 }));
  afterAll(() => sim.close());

  /** A batch tagged the way Shale tags them (spark.yarn.tags = name,shale), running. */
  async function running(name: string, conf: Record<string, string> = {}): Promise<BatchView> {
    const created = await submit(sim.url, name, { 'spark.yarn.tags': `${name},shale`, ...conf });
    expect(created.status).toBe(201);
    await waitFor(sim.url, name, 'running');
    return (await call<BatchView>(sim.url, 'GET', `/batches/${name}`)).body;
  }

  it('finds a batch\'s app by its tag, case-insensitively (YARN lowercases tags); none is {"apps":null}', async () => {
    const name = uniqueName('Tagged');
    const batch = await running(name);
    const [app, ...more] = await appsByTag(sim.url, name.toUpperCase());
    expect(more).toEqual([]);
    expect(app).toMatchObject({ id: batch.appId, name, state: 'RUNNING', finalStatus: 'UNDEFINED', diagnostics: '', finishedTime: 0 });
    expect(app!.applicationTags.split(',')).toEqual(expect.arrayContaining([name.toLowerCase(), 'shale', expect.stringMatching(/^livy-batch-\d+-/)]));
    expect(await appsByTag(sim.url, 'no-such-tag')).toEqual([]);
    const one = await call(sim.url, 'GET', `/ws/v1/cluster/apps/${batch.appId}`);
    expect(one.body.app.id).toBe(batch.appId);
    expect((await call(sim.url, 'GET', `/ws/v1/cluster/apps/${batch.appId}/state`)).body).toEqual({ state: 'RUNNING' });
    const missing = await call(sim.url, 'GET', '/ws/v1/cluster/apps/application_1_0999');
    expect(missing.status).toBe(404);
    expect(missing.body.RemoteException).toMatchObject({ exception: 'NotFoundException' });
    await call(sim.url, 'DELETE', `/batches/${name}`);
  });

  it('keeps knowing apps after Livy forgets them: retain expiry, DELETE, dead apps', async () => {
    const ok = uniqueName('ok');
    const failed = uniqueName('failed');
    const deleted = uniqueName('deleted');
    await submit(sim.url, ok, { 'spark.yarn.tags': ok, 'shale.sim.durationMs': '0' });
    await submit(sim.url, failed, { 'spark.yarn.tags': failed, 'shale.sim.durationMs': '0', 'shale.sim.outcome': 'dead' });
    await running(deleted);
    await waitFor(sim.url, ok, 'success');
    await waitFor(sim.url, failed, 'dead');
    await call(sim.url, 'DELETE', `/batches/${deleted}`);

    const expired = await call(sim.url, 'POST', '/admin/expire');
    expect(expired.body.expired).toBeGreaterThanOrEqual(2);
    expect(await stateOf(sim.url, ok)).toBe(404);
    expect(await stateOf(sim.url, failed)).toBe(404);
    expect(await yarnStateOf(sim.url, ok)).toBe('FINISHED/SUCCEEDED');
    expect(await yarnStateOf(sim.url, failed)).toBe('FINISHED/FAILED');
    expect((await appsByTag(sim.url, failed))[0]!.diagnostics).toBe(DEAD_DIAGNOSTICS);
    expect(await yarnStateOf(sim.url, deleted)).toBe('KILLED/KILLED');
    expect((await appsByTag(sim.url, ok))[0]!.finishedTime).toBeGreaterThan(0);
  });

  it('expireFinished() leaves running batches alone', async () => {
    const name = uniqueName('still-running');
    await running(name);
    sim.expireFinished();
    expect(await stateOf(sim.url, name)).toBe('running');
    await call(sim.url, 'DELETE', `/batches/${name}`);
  });

  it('kills an app with PUT {"state":"KILLED"}: 202 while it goes, 200 once killed; Livy\'s batch ends killed', async () => {
    const name = uniqueName('rm-kill');
    const batch = await running(name);
    const path = `/ws/v1/cluster/apps/${batch.appId}/state`;
    const wrong = await call(sim.url, 'PUT', path, { body: { state: 'RUNNING' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.RemoteException.message).toMatch(/Only 'KILLED' is allowed/);
    const first = await call(sim.url, 'PUT', path, { body: { state: 'KILLED' } });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ state: 'RUNNING' });
    const second = await call(sim.url, 'PUT', path, { body: { state: 'KILLED' } });
    expect([second.status, second.body]).toEqual([200, { state: 'KILLED' }]);
    expect(await stateOf(sim.url, name)).toBe('killed');
    expect((await call(sim.url, 'PUT', '/ws/v1/cluster/apps/application_1_0999/state', { body: { state: 'KILLED' } })).status).toBe(404);
  });

  it('answers while Livy\'s batch API is unreachable or failing, and the apps run on meanwhile', async () => {
    const name = uniqueName('outage');
    await running(name, { 'shale.sim.durationMs': '300' });
    sim.clearRequests();
    sim.setFaults({ dropRate: 1 });
    await expect(call(sim.url, 'GET', `/batches/${name}`)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|socket hang up/i) });
    // the app ends by itself while Livy cannot be reached
    await vi.waitFor(async () => expect(await yarnStateOf(sim.url, name)).toBe('FINISHED/SUCCEEDED'), { timeout: 3_000, interval: 20 });
    sim.setFaults({ dropRate: 0, errorRate: 1, errorStatus: 403 });
    expect((await call(sim.url, 'GET', '/batches')).status).toBe(403);
    expect(await yarnStateOf(sim.url, name)).toBe('FINISHED/SUCCEEDED');
    // the ResourceManager's requests are not Livy's: not in the request log
    expect(sim.requests().every((r) => r.path.startsWith('/batches'))).toBe(true);
    sim.setFaults({ errorRate: 0 });
    expect(await stateOf(sim.url, name)).toBe('success');
  });

  it('a Livy crash (restart without state) leaves the apps running, seen only through the ResourceManager', async () => {
    const name = uniqueName('crash');
    const batch = await running(name, { 'shale.sim.durationMs': '400' });
    const r = await call(sim.url, 'POST', '/admin/restart', { body: { keepState: false, crash: true } });
    expect(r.body).toEqual({ ok: true, keepState: false, crash: true });
    expect(await stateOf(sim.url, name)).toBe(404);
    const [app] = await appsByTag(sim.url, name);
    expect(app).toMatchObject({ id: batch.appId, state: 'RUNNING' });
    // it runs to its end by itself
    await vi.waitFor(async () => expect(await yarnStateOf(sim.url, name)).toBe('FINISHED/SUCCEEDED'), { timeout: 3_000, interval: 20 });
    expect((await call(sim.url, 'POST', '/admin/restart', { body: { keepState: true, crash: true } })).status).toBe(400);
  });

  it('a graceful Livy restart without state kills the apps it ran', async () => {
    const name = uniqueName('graceful');
    await running(name);
    await sim.restart({ keepState: false });
    expect(await stateOf(sim.url, name)).toBe(404);
    expect(await yarnStateOf(sim.url, name)).toBe('KILLED/KILLED');
  });

  it('a restart with state keeps the app id and the app running', async () => {
    const name = uniqueName('recover');
    const batch = await running(name);
    await sim.restart({ keepState: true });
    await waitFor(sim.url, name, 'running');
    expect(await appsByTag(sim.url, name)).toEqual([expect.objectContaining({ id: batch.appId, state: 'RUNNING' })]);
    await call(sim.url, 'DELETE', `/batches/${name}`);
  });

  it('a lost cluster (stop, start) forgets YARN\'s apps too', async () => {
    const other = await startLivySimulator({ startingMs: 10 });
    try {
      const name = uniqueName('gone');
      await submit(other.url, name, { 'spark.yarn.tags': name });
      await other.stop();
      await other.start();
      expect(await appsByTag(other.url, name)).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// the CLI

describe('livy simulator: CLI', () => {
  it('prints its listening line, serves, and exits 0 on SIGTERM', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/livy-sim/main.ts', '--port', '0', '--name', 'cli-test', '--csrf'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /^livy-sim cli-test listening on (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(out);
          if (match) resolve(match[0]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${out}`)));
      });
      const url = /(http:\S+)/.exec(line)![1]!;
      expect((await call(url, 'GET', '/admin/health')).body).toEqual({ ok: true, name: 'cli-test' });
      const noHeader = await call(url, 'POST', '/batches', { body: { file: 'x.py' }, noCsrfHeader: true });
      expect(noHeader.status).toBe(400);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expectRefused(call(url, 'GET', '/admin/health'));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
