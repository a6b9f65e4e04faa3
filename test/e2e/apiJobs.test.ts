/**
 * The HTTP API's job routes against a real worker and simulator: list (filters, pages), cancel both
 * ways (idempotent; a finished job untouched), wait (long poll), logs and their SSE follow, audit,
 * rerun, and team isolation (another team's job is 404 on every route and stays untouched).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simSpec } from '../support/stack';
import { startApiHarness, TOKENS, type ApiHarness, type Who } from './apiHarness';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-jobs');
});
afterAll(async () => {
  await h?.teardown();
});

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

async function submit(spec: Record<string, unknown>, who: Who = 'submitter', key?: string): Promise<string> {
  const answer = await h.call(who, 'POST', '/v1/jobs', spec, key ? { 'idempotency-key': key } : {});
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.jobId;
}

/** Polls the status until `done` holds (a bounded poll of the server's state, not a sleep standing in for an event). */
async function statusUntil(jobId: string, done: (status: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await h.call('admin', 'GET', `/v1/jobs/${jobId}`);
    if (done(answer.body)) return answer.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${answer.body.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function finished(jobId: string): Promise<any> {
  const answer = await h.call('admin', 'GET', `/v1/jobs/${jobId}/wait?timeout=60`);
  expect(TERMINAL).toContain(answer.body.state);
  return answer.body;
}

function deletes(batchName: string): number {
  return h.stack.spark3.requests({ method: 'DELETE', name: batchName }).length;
}

describe('list', () => {
  it("pages through the principal's jobs with label, state and cluster filters", async () => {
    const suite = `s${unique()}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(simSpec(`api-list-${i}`, {}, { labels: { suite } })));
    await Promise.all(ids.map(finished));
    const all = new Set<string>();
    // Visibility catches up with the ended jobs within moments: poll until the filter sees all three.
    const deadline = Date.now() + 20_000;
    let first: any;
    do {
      first = await h.call('reader', 'GET', `/v1/jobs?label=suite%3D${suite}&state=SUCCEEDED&cluster=emr6-spark3&pageSize=2`);
      expect(first.status).toBe(200);
    } while (first.body.jobs.length + (first.body.nextPageToken ? 1 : 0) < 3 && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 300)), true));
    expect(first.body.jobs).toHaveLength(2);
    expect(first.body.nextPageToken).toEqual(expect.any(String));
    for (const job of first.body.jobs) all.add(job.jobId);
    const second = await h.call('reader', 'GET', `/v1/jobs?label=suite%3D${suite}&state=SUCCEEDED&cluster=emr6-spark3&pageSize=2&pageToken=${first.body.nextPageToken}`);
    expect(second.body.jobs).toHaveLength(1);
    expect(second.body.nextPageToken).toBeUndefined();
    for (const job of second.body.jobs) all.add(job.jobId);
    expect([...all].sort()).toEqual([...ids].sort());
    expect(first.body.jobs[0]).toMatchObject({ team: 'e2e', state: 'SUCCEEDED', cluster: 'emr6-spark3', requestedBy: 'e2e-submitter' });
    // since, and labels repeated (all must match).
    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
    expect((await h.call('reader', 'GET', `/v1/jobs?label=suite%3D${suite}&since=${future}`)).body.jobs).toEqual([]);
    const both = await h.call('reader', 'GET', `/v1/jobs?label=suite%3D${suite}&label=suite%3Dother&pageSize=10`);
    expect(both.body.jobs).toEqual([]);
    const past = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    expect((await h.call('reader', 'GET', `/v1/jobs?label=suite%3D${suite}&since=${past}&pageSize=10`)).body.jobs).toHaveLength(3);
  });

  it("shows another team none of them, and refuses a team filter outside the principal's teams", async () => {
    const suite = `s${unique()}`;
    await finished(await submit(simSpec('api-list-hidden', {}, { labels: { suite } })));
    const mine = await h.call('admin', 'GET', `/v1/jobs?label=suite%3D${suite}`);
    expect(mine.body.jobs.length).toBe(1);
    expect((await h.call('other', 'GET', `/v1/jobs?label=suite%3D${suite}`)).body.jobs).toEqual([]);
    expect((await h.call('other', 'GET', '/v1/jobs?team=e2e')).status).toBe(403);
    const bad = await h.call('reader', 'GET', '/v1/jobs?state=SLEEPING&label=nolabel');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['querystring.label', 'querystring.state']);
  });
});

describe('cancel', () => {
  it('DELETE cancels a running job once; a retry with the same request id gets the first answer; POST /cancel after the end changes nothing', async () => {
    const jobId = await submit(simSpec('api-cancel', { 'shale.sim.durationMs': '600000' }));
    const running = await statusUntil(jobId, (s) => s.state === 'RUNNING');
    const requestId = `r-${unique()}`;
    const first = await h.call('submitter', 'DELETE', `/v1/jobs/${jobId}`, undefined, { 'x-request-id': requestId });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: true, state: 'RUNNING', requestId });
    const retry = await h.call('submitter', 'DELETE', `/v1/jobs/${jobId}`, undefined, { 'x-request-id': requestId });
    expect(retry.body).toMatchObject({ accepted: true, state: 'RUNNING', requestId });
    const ended = await finished(jobId);
    expect(ended.state).toBe('CANCELLED');
    expect(ended.cancel).toMatchObject({ requestedBy: 'e2e-submitter', requestId });
    const late = await h.call('submitter', 'POST', `/v1/jobs/${jobId}/cancel`, { reason: 'too late' });
    expect(late.body).toMatchObject({ accepted: false, state: 'CANCELLED' });
    expect(deletes(running.attempts[0].batchName)).toBe(1);
  });

  it('POST /cancel with a reason; a finished job is left alone and the answer says how it ended', async () => {
    const running = await submit(simSpec('api-cancel-post', { 'shale.sim.durationMs': '600000' }));
    await statusUntil(running, (s) => s.state === 'RUNNING');
    const answer = await h.call('submitter', 'POST', `/v1/jobs/${running}/cancel`, { reason: 'wrong date', requestId: `p-${unique()}` });
    expect(answer.body).toMatchObject({ accepted: true, state: 'RUNNING' });
    expect((await finished(running)).cancel).toMatchObject({ reason: 'wrong date', requestedBy: 'e2e-submitter' });

    const done = await finished(await submit(simSpec('api-cancel-done')));
    const untouched = await h.call('submitter', 'POST', `/v1/jobs/${done.jobId}/cancel`, {});
    expect(untouched.body).toMatchObject({ accepted: false, state: 'SUCCEEDED' });
    expect(deletes(done.attempts[0].batchName)).toBe(0);
    expect((await h.call('reader', 'GET', `/v1/jobs/${done.jobId}`)).body.state).toBe('SUCCEEDED');
  });
});

describe('wait, logs, audit', () => {
  it('wait answers at its timeout with the current state, and as soon as the job ends', async () => {
    const jobId = await submit(simSpec('api-wait', { 'shale.sim.durationMs': '4000' }));
    const started = Date.now();
    const early = await h.call('reader', 'GET', `/v1/jobs/${jobId}/wait?timeout=1`);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(TERMINAL).not.toContain(early.body.state);
    const full = await h.call('reader', 'GET', `/v1/jobs/${jobId}/wait?timeout=60`);
    expect(full.body.state).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await h.call('reader', 'GET', `/v1/jobs/${jobId}/wait?timeout=3601`)).status).toBe(400);
  });

  it('logs: the tail read through a worker; follow streams each line once as SSE, then the end', async () => {
    const jobId = await submit(simSpec('api-logs', { 'shale.sim.durationMs': '5000' }));
    await statusUntil(jobId, (s) => s.state === 'RUNNING');
    const response = await fetch(`${h.api.url}/v1/jobs/${jobId}/logs/follow`, { headers: { authorization: `Bearer ${TOKENS.reader}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.startsWith('event:'))
      .map((block) => ({ event: /^event: (.*)$/m.exec(block)![1], data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) }));
    expect(events.at(-1)).toEqual({ event: 'end', data: { state: 'SUCCEEDED' } });
    const lines = events.filter((e) => e.event === 'log').flatMap((e) => e.data.lines as string[]);
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines).size).toBe(lines.length);
    expect(events.filter((e) => e.event === 'log').every((e) => e.data.attempt === 1)).toBe(true);

    const tail = await h.call('reader', 'GET', `/v1/jobs/${jobId}/logs?size=5`);
    expect(tail.status).toBe(200);
    expect(tail.body).toMatchObject({ attempt: 1, lines: expect.any(Array) });
    expect(tail.body.lines.length).toBeGreaterThan(0);
    expect(tail.body.lines.length).toBeLessThanOrEqual(5);
    expect((await h.call('reader', 'GET', `/v1/jobs/${jobId}/logs?attempt=7`)).status).toBe(404);
    // `from` pages by Livy's entry index (entry 0 is the stdout marker); the route used to ignore it.
    const page = await h.call('reader', 'GET', `/v1/jobs/${jobId}/logs?from=1&size=3`);
    expect(page.body).toEqual({ source: 'livy', attempt: 1, lines: [1, 2, 3].map((n) => `line ${n} of ${jobId}-a1`) });
    // A worker reads at most 1000 entries at once: more used to fall back to Shale's tail without saying why.
    expect((await h.call('reader', 'GET', `/v1/jobs/${jobId}/logs?size=1001`)).status).toBe(400);
  });

  it('a follow whose caller hangs up stops following (the server ends the stream within one round)', async () => {
    const jobId = await submit(simSpec('api-follow-gone', { 'shale.sim.durationMs': '600000' }));
    await statusUntil(jobId, (s) => s.state === 'RUNNING');
    const followsEnded = async () => {
      const text = (await h.call('admin', 'GET', '/metrics')).body as string;
      const line = text.split('\n').find((l) => l.startsWith('shale_api_request_duration_seconds_count{method="GET",route="/v1/jobs/:jobId/logs/follow"'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = await followsEnded();
    const abort = new AbortController();
    const response = await fetch(`${h.api.url}/v1/jobs/${jobId}/logs/follow`, { headers: { authorization: `Bearer ${TOKENS.reader}` }, signal: abort.signal });
    expect(response.status).toBe(200);
    abort.abort();
    // The job runs on for ten minutes: only the hang-up can end this follow.
    const deadline = Date.now() + 15_000;
    while ((await followsEnded()) === before) {
      if (Date.now() > deadline) throw new Error('the server still follows the log of a caller that hung up');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await h.call('admin', 'DELETE', `/v1/jobs/${jobId}`)).body.accepted).toBe(true);
  });

  it('audit: who submitted it and how it ended', async () => {
    const jobId = await submit(simSpec('api-audit'));
    await finished(jobId);
    const answer = await h.call('reader', 'GET', `/v1/jobs/${jobId}/audit`);
    expect(answer.status).toBe(200);
    const events = answer.body.entries.map((e: { event: string }) => e.event);
    expect(events[0]).toBe('submitted');
    expect(answer.body.entries[0].actor).toBe('e2e-submitter');
    expect(events).toContain('ended');
  });
});

describe('rerun', () => {
  it('runs a failed job again (201), by hand or by its key; a succeeded job is a 409', async () => {
    const key = `rr-${unique()}`;
    const spec = simSpec('api-rerun', { 'shale.sim.outcomes': 'dead' }, { retry: { app: 0, initialBackoff: 1, maxBackoff: 2 } });
    const jobId = await submit(spec, 'submitter', key);
    expect((await finished(jobId)).state).toBe('FAILED');
    const byKey = await h.call('submitter', 'POST', '/v1/jobs', spec, { 'idempotency-key': key });
    expect(byKey.status).toBe(201);
    expect(byKey.body).toMatchObject({ jobId, created: true, rerun: true });
    expect((await finished(jobId)).state).toBe('FAILED');
    const byHand = await h.call('admin', 'POST', `/v1/jobs/${jobId}/rerun`);
    expect(byHand.status).toBe(201);
    expect(byHand.body).toMatchObject({ jobId, created: true, rerun: true });
    const third = await finished(jobId);
    expect(third.previousRuns).toHaveLength(2);

    const succeeded = await finished(await submit(simSpec('api-rerun-ok')));
    const refused = await h.call('submitter', 'POST', `/v1/jobs/${succeeded.jobId}/rerun`);
    expect(refused.status).toBe(409);
    expect(refused.contentType).toContain('application/problem+json');
    expect((await h.call('reader', 'POST', `/v1/jobs/${succeeded.jobId}/rerun`)).status).toBe(403);
  });
});

describe('team isolation', () => {
  it("another team's principal gets 404 on every route of a job, and nothing changes", async () => {
    const jobId = await submit(simSpec('api-isolated', { 'shale.sim.durationMs': '600000' }));
    const running = await statusUntil(jobId, (s) => s.state === 'RUNNING');
    const tries: Array<[string, string, unknown?]> = [
      ['GET', `/v1/jobs/${jobId}`],
      ['GET', `/v1/jobs/${jobId}/wait?timeout=0`],
      ['GET', `/v1/jobs/${jobId}/logs`],
      ['GET', `/v1/jobs/${jobId}/logs/follow`],
      ['GET', `/v1/jobs/${jobId}/audit`],
      ['DELETE', `/v1/jobs/${jobId}`],
      ['POST', `/v1/jobs/${jobId}/cancel`, { reason: 'not mine' }],
      ['POST', `/v1/jobs/${jobId}/rerun`],
    ];
    for (const [method, path, body] of tries) {
      const answer = await h.call('other', method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.detail).toBe(`no job ${jobId}`);
    }
    // The reader of the job's own team may look but not cancel.
    expect((await h.call('reader', 'DELETE', `/v1/jobs/${jobId}`)).status).toBe(403);
    const after = await h.call('admin', 'GET', `/v1/jobs/${jobId}`);
    expect(after.body.state).toBe('RUNNING');
    expect(after.body.cancel).toBeUndefined();
    expect(deletes(running.attempts[0].batchName)).toBe(0);
    expect((await h.call('admin', 'DELETE', `/v1/jobs/${jobId}`)).body.accepted).toBe(true);
  });
});
