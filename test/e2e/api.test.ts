/**
 * The HTTP job API end to end: submit (201/200/409/422), status, list with filters and pages,
 * cancel both ways, wait, audit, problem+json everywhere, and the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdFromKey } from '../../contract';
import { simSpec } from '../support/stack';
import { startApiHarness, type ApiHarness } from './apiHarness';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api');
});
afterAll(async () => {
  await h?.teardown();
});

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function expectProblem(answer: { status: number; contentType: string; body: any }, status: number) {
  expect(answer.contentType).toContain('application/problem+json');
  expect(answer.body).toMatchObject({ status, type: expect.stringMatching(/^urn:shale:problem:/), title: expect.any(String), detail: expect.any(String) });
}

describe('submit', () => {
  it('creates a job (201), returns it for the same key (200), runs it as the principal', async () => {
    const key = `k-${unique()}`;
    const spec = simSpec('api-submit');
    const first = await h.call('submitter', 'POST', '/v1/jobs', spec, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ jobId: expect.stringMatching(/^e2e-/), created: true, rerun: false, state: 'QUEUED' });
    const again = await h.call('submitter', 'POST', '/v1/jobs', spec, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ jobId: first.body.jobId, created: false, rerun: false });
    const status = await h.call('reader', 'GET', `/v1/jobs/${first.body.jobId}`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ jobId: first.body.jobId, team: 'e2e' });
    // The workflow's status names the requester once it has checked the spec: read it at the end.
    const ended = await h.call('reader', 'GET', `/v1/jobs/${first.body.jobId}/wait?timeout=60`);
    expect(ended.body).toMatchObject({ state: 'SUCCEEDED', requestedBy: 'e2e-submitter' });
  });

  it('answers 409 naming the differing fields for a reused key with another spec', async () => {
    const key = `k-${unique()}`;
    expect((await h.call('submitter', 'POST', '/v1/jobs', simSpec('api-conflict'), { 'idempotency-key': key })).status).toBe(201);
    const conflict = await h.call('submitter', 'POST', '/v1/jobs', simSpec('api-conflict', { 'spark.x': '1' }), { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    expectProblem(conflict, 409);
    expect(conflict.body.differing).toEqual(['conf.spark.x']);
  });

  it('answers 422 with field-level errors for an invalid spec, and starts nothing', async () => {
    const key = `bad-${unique()}`;
    const invalid = await h.call('submitter', 'POST', '/v1/jobs', { ...simSpec('bad name!'), size: 'HUGE' }, { 'idempotency-key': key });
    expect(invalid.status).toBe(422);
    expectProblem(invalid, 422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['name', 'size']));
    const notObject = await h.call('submitter', 'POST', '/v1/jobs', [1, 2]);
    expect(notObject.status).toBe(422);
    // The job the key would have named does not exist.
    expect((await h.call('admin', 'GET', `/v1/jobs/${jobIdFromKey('e2e', key)}`)).status).toBe(404);
  });

  it('refuses a body that sets requestedBy (422): the principal is the requester', async () => {
    const answer = await h.call('submitter', 'POST', '/v1/jobs', simSpec('api-spoof', {}, { requestedBy: 'someone-else' }));
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([{ field: 'requestedBy', message: expect.stringContaining('e2e-submitter') }]);
  });

  it("refuses (403) a spec for a team that is not the principal's", async () => {
    const answer = await h.call('other', 'POST', '/v1/jobs', simSpec('api-wrong-team'));
    expect(answer.status).toBe(403);
    expectProblem(answer, 403);
  });
});

describe('errors are problem+json', () => {
  it('404 for an unknown route, 400 for malformed JSON, 415 for another media type, 413 over the body limit', async () => {
    expectProblem(await h.call('admin', 'GET', '/v1/nothing-here'), 404);
    const malformed = await h.call('submitter', 'POST', '/v1/jobs', '{"name": ');
    expect(malformed.status).toBe(400);
    expectProblem(malformed, 400);
    const text = await h.call('submitter', 'POST', '/v1/jobs', 'name: x', { 'content-type': 'text/yaml' });
    expect(text.status).toBe(415);
    expectProblem(text, 415);
    const huge = await h.call('submitter', 'POST', '/v1/jobs', simSpec('api-huge', { 'spark.big': 'x'.repeat(1100 * 1024) }));
    expect(huge.status).toBe(413);
    expectProblem(huge, 413);
  });

  it('405 with Allow for a known path asked with another method; 400 at once for a page token this API did not hand out', async () => {
    const put = await h.call('admin', 'PUT', '/v1/jobs/e2e-some-job');
    expectProblem(put, 405);
    expect(put.headers.get('allow')).toBe('DELETE, GET, HEAD');
    expect((await h.call('admin', 'PATCH', '/v1/jobs')).headers.get('allow')).toBe('GET, HEAD, POST');
    const started = Date.now();
    // Found by schemathesis: a made-up token reached Temporal, whose visibility call hung past 10 s.
    for (const token of ['AAAA', 'AAAA.AAAAAAAAAAAAAAAA']) {
      const bad = await h.call('admin', 'GET', `/v1/jobs?pageToken=${token}`);
      expectProblem(bad, 400);
      expect(bad.body.errors[0].field).toBe('querystring.pageToken');
    }
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('401 without a token or with a bad one, 403 without the role, 404 for a bad job ID or another team', async () => {
    expectProblem(await h.call('nobody', 'GET', '/v1/jobs'), 401);
    const bad = await h.call('bad', 'GET', '/v1/jobs');
    expectProblem(bad, 401);
    expect(bad.headers.get('www-authenticate')).toContain('Bearer');
    expectProblem(await h.call('reader', 'POST', '/v1/jobs', simSpec('api-reader')), 403);
    expectProblem(await h.call('reader', 'GET', '/v1/jobs/NOT_AN_ID'), 400);
    expectProblem(await h.call('reader', 'GET', '/v1/jobs/e2e-no-such-job'), 404);
  });
});

describe('service routes', () => {
  it('healthz, readyz and openapi.json need no token; metrics counts requests', async () => {
    expect((await h.call('nobody', 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await h.call('nobody', 'GET', '/readyz')).body).toEqual({ status: 'ok' });
    const doc = await h.call('nobody', 'GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{jobId}', '/v1/jobs/{jobId}/cancel', '/v1/jobs/{jobId}/wait']));
    expect(doc.body.paths['/v1/jobs'].post.responses['201'].content['application/json'].schema).toBeDefined();
    expect(doc.body.components.schemas.JobStatus).toBeDefined();
    // The documented submit body is the JobSpec without requestedBy (the API sets it to the principal).
    const body = JSON.stringify(doc.body.components.schemas.JobSpecInput);
    expect(body).toContain('"className"');
    expect(body).not.toContain('requestedBy');
    expect((await h.call('reader', 'GET', '/v1/jobs?pageSize=1')).status).toBe(200);
    expect((await h.call('nobody', 'GET', '/v1/jobs')).status).toBe(401);
    const metrics = await h.call('nobody', 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/shale_api_request_duration_seconds_count\{method="GET",route="\/v1\/jobs",status="200"\} [1-9]\d*/);
    expect(metrics.body).toMatch(/shale_api_denials_total\{reason="unauthenticated"\} \d+/);
  });
});
