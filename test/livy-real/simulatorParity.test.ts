/**
 * The Livy simulator (dev/livy-sim) against a real Apache Livy 0.7.1 with Spark 3.5 in local mode:
 * the SAME raw HTTP requests go to both, in the same order (so ids are used up alike), and the answers
 * are compared on what a client relies on: status codes, body shapes (keys, null against missing,
 * bare-string 400s), the stable part of the texts, the states a short job goes through, and the log's
 * shape. The simulator runs with defaultFs file:/// and the same whitelist, as a local-mode Livy has.
 *
 * Differences that are the deployment's, not the simulator's, are asserted as such: the simulator plays
 * a YARN cluster (an appId and links once the app runs), the real Livy here runs local mode (none).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLivySimulator, type LivySimulator } from '../../dev/livy-sim';
import { startRealLivy, type RealLivy } from '../../dev/stack/realLivy';

interface Answer {
  status: number;
  contentType: string | null;
  allow: string | null;
  location: string | null;
  text: string;
  /** The parsed JSON body; undefined when the body is empty. */
  body: unknown;
}

type Request = { method: string; path: string; body?: unknown; raw?: string };

/** A tiny app that needs no SparkContext: prints `line N of <name>` N times, then exits with the code given. */
const LINES_APP = `import sys
name, count = sys.argv[1], int(sys.argv[2])
for i in range(1, count + 1):
    print("line %d of %s" % (i, name))
sys.exit(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
`;

const TERMINAL = ['success', 'dead', 'killed'];
/** Jackson's location suffix: where the parser stopped, not part of the stable text. */
const jacksonText = (text: unknown) => String(text).split('\n at [Source:')[0];

let real: RealLivy;
let sim: LivySimulator;
let appsDir: string;
let app: string;

async function send(base: string, req: Request): Promise<Answer> {
  const payload = req.raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
  const response = await fetch(base + req.path, {
    method: req.method,
    headers: { 'content-type': 'application/json', 'x-requested-by': 'shale-parity' },
    body: payload,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    allow: response.headers.get('allow'),
    location: response.headers.get('location'),
    text,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

/** The same request to the real Livy, then to the simulator. */
async function both(req: Request): Promise<{ real: Answer; sim: Answer }> {
  const realAnswer = await send(real.url, req);
  const simAnswer = await send(sim.url, req);
  return { real: realAnswer, sim: simAnswer };
}

const post = (body: unknown) => both({ method: 'POST', path: '/batches', body });
const get = (path: string) => both({ method: 'GET', path });

/** Polls a batch's state on one server until it is terminal, returning each distinct state seen in order. */
async function stateSequence(base: string, id: number, first: string, timeoutMs: number): Promise<string[]> {
  const seen = [first];
  const deadline = Date.now() + timeoutMs;
  while (!TERMINAL.includes(seen.at(-1)!)) {
    if (Date.now() > deadline) throw new Error(`batch ${id} at ${base} still ${seen.at(-1)} after ${timeoutMs} ms (states: ${seen.join(' → ')})`);
    const { body } = await send(base, { method: 'GET', path: `/batches/${id}/state` });
    const { state } = body as { state: string };
    if (state !== seen.at(-1)) seen.push(state);
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

/** Whether `states` goes forward along starting → running → <end> without skipping back. */
function followsLifecycle(states: string[], end: string): boolean {
  const order = ['starting', 'running', end];
  const positions = states.map((s) => order.indexOf(s));
  return positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)) && states.at(-1) === end;
}

/** The app's own numbered lines in a log page, as numbers. */
const appLineNumbers = (log: string[], name: string) =>
  log.map((line) => new RegExp(`^line (\\d+) of ${name}$`).exec(line)?.[1]).filter((n): n is string => n !== undefined).map(Number);

beforeAll(async () => {
  appsDir = await mkdtemp(join(tmpdir(), 'shale-parity-apps-'));
  app = `file://${join(appsDir, 'lines.py')}`;
  await writeFile(join(appsDir, 'lines.py'), LINES_APP);
  [real, sim] = await Promise.all([
    startRealLivy({ allowedDirs: [appsDir] }),
    startLivySimulator({ name: 'parity', localDirWhitelist: [appsDir], defaultFs: 'file:///', startingMs: 200, defaultDurationMs: 1_000 }),
  ]);
});

afterAll(async () => {
  await Promise.all([real?.close(), sim?.close()]);
  if (appsDir) await rm(appsDir, { recursive: true, force: true });
});

describe('the Livy simulator answers the batch API as a real Livy 0.7.1 does', () => {
  it('an empty server: the same list, the same 404 for an unknown id or name, JSON with a charset', async () => {
    const list = await get('/batches');
    expect(list.sim.body).toEqual(list.real.body);
    expect(list.real.body).toEqual({ from: 0, total: 0, sessions: [] });
    expect(list.sim.contentType).toBe(list.real.contentType);
    for (const path of ['/batches/4242', '/batches/no-such-batch/state', '/batches/no-such-batch/log']) {
      const { real: r, sim: s } = await get(path);
      expect([s.status, s.body], path).toEqual([r.status, r.body]);
      expect(r.status).toBe(404);
    }
  });

  it('what its JSON mapper refuses is a 400 with a bare string, the same text up to the location', async () => {
    const refusals: Request[] = [
      { method: 'POST', path: '/batches', body: { file: app, name: 'bogus', bogus: 1 } },
      { method: 'POST', path: '/batches', raw: '{"file": x}' },
      { method: 'POST', path: '/batches', raw: '{"file": "x.py",' },
      { method: 'POST', path: '/batches', raw: '' },
      { method: 'POST', path: '/batches', raw: '[1]' },
      { method: 'POST', path: '/batches', body: { file: app, args: 'not-a-list' } },
    ];
    for (const req of refusals) {
      const { real: r, sim: s } = await both(req);
      const what = req.raw ?? JSON.stringify(req.body);
      expect(r.status, what).toBe(400);
      expect(typeof r.body, what).toBe('string');
      expect([s.status, typeof s.body], what).toEqual([400, 'string']);
      expect(jacksonText(s.body), what).toBe(jacksonText(r.body));
    }
    // None of them registered a batch.
    const list = await get('/batches');
    expect([list.real.body, list.sim.body]).toEqual([{ from: 0, total: 0, sessions: [] }, { from: 0, total: 0, sessions: [] }]);
  });

  it('a start that fails after registration (no file, outside the whitelist, a relative path, a string in an int field) leaves a batch in starting until DELETE', async () => {
    const failures = [
      { name: 'no-file' },
      { name: 'outside', file: 'file:///etc/shale-parity.py' },
      { name: 'sibling', file: `file://${appsDir}-other/x.py` },
      { name: 'plain-outside', file: '/etc/shale-parity.py' },
      { name: 'relative', file: 'jobs/x.py' },
      { name: 'cast', file: app, driverCores: '2' },
    ];
    for (const body of failures) {
      const { real: r, sim: s } = await post(body);
      expect([s.status, s.body], body.name).toEqual([r.status, r.body]);
      expect([400, 500], body.name).toContain(r.status);
      const held = await get(`/batches/${body.name}`);
      expect(held.sim.body, body.name).toEqual(held.real.body);
      expect(held.real.body, body.name).toMatchObject({ name: body.name, state: 'starting', appId: null, log: [] });
    }
    const list = await get('/batches');
    expect(list.sim.body).toEqual(list.real.body);
    expect((list.real.body as { total: number }).total).toBe(failures.length);
    // The name stays taken until a DELETE, by name or by id.
    const dup = await post({ name: 'outside', file: app });
    expect(dup.sim.body).toEqual(dup.real.body);
    expect(dup.real.body).toEqual({ msg: `Duplicate session name: Some(outside) for session ${failures.length}` });
    for (const path of ['/batches/outside', '/batches/0', ...failures.filter((f) => !['outside', 'no-file'].includes(f.name)).map((f) => `/batches/${f.name}`)]) {
      const del = await both({ method: 'DELETE', path });
      expect([del.sim.status, del.sim.body], path).toEqual([del.real.status, del.real.body]);
      expect(del.real.body).toEqual({ msg: 'deleted' });
    }
    expect((await get('/batches')).real.body).toMatchObject({ total: 0 });
  });

  it('an all-digit name is refused, and a duplicate name names the id it would have had', async () => {
    const digits = await post({ name: '12345', file: app });
    expect(digits.sim.body).toEqual(digits.real.body);
    expect(digits.real).toMatchObject({ status: 400, body: { msg: 'Invalid session name: 12345' } });
  });

  it('a short job: the POST answer, its states, the finished Batch, its log (markers, 200-line buffer, total), DELETE twice', async () => {
    const name = 'short';
    // The shale.sim.* keys tell the simulator what the app does; the real Livy passes them to spark-submit,
    // which ignores them (one "Warning: Ignoring non-Spark config property" line each).
    const created = await post({ name, file: app, args: [name, '300'], conf: { 'shale.sim.logLines': '300', 'shale.sim.durationMs': '1000' } });
    for (const answer of [created.real, created.sim]) {
      expect(answer.status).toBe(201);
      expect(answer.contentType).toBe(created.real.contentType);
      expect(answer.location).toBe(`/batches/${(answer.body as { id: number }).id}`);
    }
    const [realBatch, simBatch] = [created.real.body, created.sim.body] as { id: number; state: string; log: string[] }[];
    expect(simBatch!.id).toBe(realBatch!.id);
    expect(Object.keys(simBatch!).sort()).toEqual(Object.keys(realBatch!).sort());
    expect(simBatch).toMatchObject({ ...realBatch, state: expect.any(String) });
    // Local mode may answer `running` already; both forms are Livy's.
    expect(['starting', 'running']).toContain(realBatch!.state);
    expect(['starting', 'running']).toContain(simBatch!.state);

    const [realStates, simStates] = await Promise.all([
      stateSequence(real.url, realBatch!.id, realBatch!.state, 120_000),
      stateSequence(sim.url, simBatch!.id, simBatch!.state, 30_000),
    ]);
    expect(followsLifecycle(realStates, 'success'), realStates.join(' → ')).toBe(true);
    expect(followsLifecycle(simStates, 'success'), simStates.join(' → ')).toBe(true);

    const done = await get(`/batches/${name}`);
    const [realDone, simDone] = [done.real.body, done.sim.body] as Record<string, unknown>[];
    expect(Object.keys(simDone!).sort()).toEqual(Object.keys(realDone!).sort());
    expect(Object.keys(simDone!.appInfo as object).sort()).toEqual(Object.keys(realDone!.appInfo as object).sort());
    expect(simDone).toMatchObject({ id: realDone!.id, name, owner: null, proxyUser: null, state: 'success' });
    // The Batch's own log is the last 10 entries, ending with the stderr marker.
    for (const view of [realDone, simDone]) expect([(view!.log as string[]).length, (view!.log as string[]).at(-1)]).toEqual([10, '\nstderr: ']);
    // Local mode against the simulator's YARN: no appId and no links on the real one.
    expect(realDone).toMatchObject({ appId: null, appInfo: { driverLogUrl: null, sparkUiUrl: null } });
    expect(simDone).toMatchObject({ appId: expect.stringMatching(/^application_/), appInfo: { driverLogUrl: null } });

    const whole = await get(`/batches/${name}/log?from=0&size=1000`);
    for (const [label, answer] of Object.entries(whole)) {
      const page = answer.body as { id: number; from: number; total: number; log: string[] };
      expect(Object.keys(page).sort(), label).toEqual(['from', 'id', 'log', 'total']);
      // Each section is a circular buffer of 200: 300 lines printed, 202 entries with the two markers.
      expect([page.from, page.total, page.log.length, page.log[0], page.log.at(-1)], label).toEqual([0, 202, 202, 'stdout: ', '\nstderr: ']);
      const numbers = appLineNumbers(page.log, name);
      expect(numbers.at(-1), label).toBe(300);
      expect(numbers, label).toEqual(Array.from({ length: numbers.length }, (_, i) => 300 - numbers.length + 1 + i));
    }
    // from defaults to the tail: the last `size` entries, size defaulting to 100.
    for (const query of ['?size=4', '']) {
      const tail = await get(`/batches/${name}/log${query}`);
      const [r, s] = [tail.real.body, tail.sim.body] as { from: number; total: number; log: string[] }[];
      expect([s!.from, s!.total, s!.log.length], query).toEqual([r!.from, r!.total, r!.log.length]);
    }

    const first = await both({ method: 'DELETE', path: `/batches/${name}` });
    expect([first.sim.status, first.sim.body]).toEqual([first.real.status, first.real.body]);
    expect(first.real.body).toEqual({ msg: 'deleted' });
    const second = await both({ method: 'DELETE', path: `/batches/${name}` });
    expect([second.sim.status, second.sim.body]).toEqual([second.real.status, second.real.body]);
    expect(second.real).toMatchObject({ status: 404, body: { msg: `Session '${name}' not found.` } });
  });

  it('an app that exits non-zero without an exception: dead, and the log ends with the stderr marker', async () => {
    const name = 'silent-exit';
    const created = await post({ name, file: app, args: [name, '3', '3'], conf: { 'shale.sim.outcome': 'exit-nonzero', 'shale.sim.logLines': '3' } });
    const [r, s] = [created.real.body, created.sim.body] as { id: number; state: string }[];
    expect(s!.id).toBe(r!.id);
    const [realStates, simStates] = await Promise.all([stateSequence(real.url, r!.id, r!.state, 120_000), stateSequence(sim.url, s!.id, s!.state, 30_000)]);
    expect(followsLifecycle(realStates, 'dead'), realStates.join(' → ')).toBe(true);
    expect(followsLifecycle(simStates, 'dead'), simStates.join(' → ')).toBe(true);
    const log = await get(`/batches/${name}/log?from=0&size=1000`);
    for (const [label, answer] of Object.entries(log)) {
      const page = (answer.body as { log: string[] }).log;
      expect([page[0], page.at(-1)], label).toEqual(['stdout: ', '\nstderr: ']);
      expect(appLineNumbers(page, name), label).toEqual([1, 2, 3]);
    }
  });

  it('routes it does not serve: 405 with Allow and an empty body, an empty 404', async () => {
    const requests: Request[] = [
      { method: 'PUT', path: '/batches/silent-exit' },
      { method: 'DELETE', path: '/batches' },
      { method: 'GET', path: '/batches/silent-exit/nope' },
      { method: 'GET', path: '/batches/silent-exit/log/x' },
    ];
    for (const req of requests) {
      const { real: r, sim: s } = await both(req);
      const what = `${req.method} ${req.path}`;
      expect([s.status, s.text, s.allow], what).toEqual([r.status, r.text, r.allow]);
      expect(r.text, what).toBe('');
    }
  });
});
