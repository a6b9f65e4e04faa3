/**
 * What the HTTP API answers before a route reaches Temporal, and what /openapi.json says about it:
 * the per-address budget for requests without a valid token, over-long path parameters, strict
 * cancel bodies, the wait's maximum and the log stream's event schema. The API is built in process
 * (fastify inject) over a client that fails any test reaching it.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthFailureLimiter } from '../../api/authFailureLimiter';
import { parseApiConfig, type ApiConfigInput } from '../../api/config';
import { buildApi } from '../../api/server';
import { WORKFLOW_TYPE } from '../../contract';
import type { ShaleClient } from '../../client/shaleClient';

const TOKEN = 'unit-admin-token-0123456789';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
/** Any use of the client means a request got past the checks under test. */
const unreachableClient = new Proxy({} as ShaleClient, {
  get: (_, name) => {
    throw new Error(`the client was used (${String(name)}) by a request that should have been refused first`);
  },
});

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function api(extra: Partial<ApiConfigInput> = {}): Promise<FastifyInstance> {
  const config = parseApiConfig({ principals: [{ name: 'admin', teams: ['*'], roles: ['admin'], tokenSha256: sha(TOKEN) }], ...extra }, 'test');
  app = await buildApi({ client: unreachableClient, config, logger: pino({ level: 'silent' }) });
  await app.ready();
  return app;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('requests without a valid token are limited per address', () => {
  it('counts failures per address in a window, and forgets them when it ends', () => {
    let now = 0;
    const limiter = createAuthFailureLimiter({ max: 2, windowSeconds: 10 }, () => now);
    limiter.recordFailure('a');
    expect(limiter.blockedFor('a')).toBeUndefined();
    limiter.recordFailure('a');
    expect(limiter.blockedFor('a')).toBe(10);
    expect(limiter.blockedFor('b')).toBeUndefined();
    now = 9_500;
    expect(limiter.blockedFor('a')).toBe(1);
    now = 10_000;
    expect(limiter.blockedFor('a')).toBeUndefined();
  });

  // Nothing slowed token guessing: every wrong token was a 401, as fast as a caller could send them.
  it('answers 429 with Retry-After once an address has used its budget, a right token included; other addresses are unaffected', async () => {
    const app = await api({ unauthenticatedRateLimit: { max: 3, windowSeconds: 60 } });
    const guesser = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(`guess-${i}`), remoteAddress: guesser })).statusCode);
    statuses.push((await app.inject({ method: 'GET', url: '/v1/jobs', remoteAddress: guesser })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const right = await app.inject({ method: 'GET', url: '/v1/jobs/some-job/audit', headers: bearer(TOKEN), remoteAddress: guesser });
    expect(right.statusCode).toBe(429);
    expect(right.headers['content-type']).toContain('application/problem+json');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(right.json().detail).toMatch(/more than 3 requests without a valid token/);
    // Routes that need no token are not counted or limited.
    expect((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: guesser })).statusCode).not.toBe(429);
    expect((await app.inject({ method: 'GET', url: '/v1/jobs', remoteAddress: '198.51.100.1' })).statusCode).toBe(401);
  });

  it('counts the caller behind a trusted proxy, not the proxy (api.trustProxy)', async () => {
    const app = await api({ unauthenticatedRateLimit: { max: 1, windowSeconds: 60 }, trustProxy: ['10.0.0.1'] });
    const via = (caller: string) => app.inject({ method: 'GET', url: '/v1/jobs', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': caller } });
    expect((await via('203.0.113.1')).statusCode).toBe(401);
    expect((await via('203.0.113.1')).statusCode).toBe(429);
    expect((await via('203.0.113.2')).statusCode).toBe(401);
  });

  it('has a default budget in the config', () => {
    expect(parseApiConfig({}).unauthenticatedRateLimit).toEqual({ max: 30, windowSeconds: 60 });
  });
});

describe('a path parameter longer than the router takes', () => {
  const longId = 'a'.repeat(250);

  // Was a 414 with fastify's own JSON body, undocumented, answered before the token was checked.
  it('is a 400 problem naming params.jobId, after the token is checked', async () => {
    const app = await api();
    const withToken = await app.inject({ method: 'GET', url: `/v1/jobs/${longId}/audit`, headers: bearer(TOKEN) });
    expect(withToken.statusCode).toBe(400);
    expect(withToken.headers['content-type']).toContain('application/problem+json');
    expect(withToken.json()).toMatchObject({ status: 400, errors: [{ field: 'params.jobId', message: expect.stringContaining('a job ID') }] });
    const without = await app.inject({ method: 'GET', url: `/v1/jobs/${longId}` });
    expect(without.statusCode).toBe(401);
    expect(without.headers['content-type']).toContain('application/problem+json');
    // Between the longest job ID and the router's limit, the route's own check answers the same way.
    const mid = await app.inject({ method: 'GET', url: `/v1/jobs/${'a'.repeat(150)}`, headers: bearer(TOKEN) });
    expect(mid.statusCode).toBe(400);
    expect(mid.json().errors[0].field).toBe('params.jobId');
  });
});

describe('query parameters', () => {
  // Found by schemathesis: `?from=` (an empty integer) was read as 0 and answered 200.
  it('refuses an empty value with 400 naming the parameter, instead of reading it as 0', async () => {
    const app = await api();
    for (const url of ['/v1/jobs/some-job/wait?timeout=', '/v1/jobs/some-job/logs?from=&size=5', '/v1/jobs?pageSize=']) {
      const answer = await app.inject({ method: 'GET', url, headers: bearer(TOKEN) });
      expect(answer.statusCode, url).toBe(400);
      expect(answer.json().errors).toEqual([{ field: expect.stringMatching(/^querystring\.(timeout|from|pageSize)$/), message: expect.stringContaining('empty') }]);
    }
  });
});

describe('cancel bodies are strict', () => {
  // Found by schemathesis: the document allowed extra properties; `__proto__` among them was "Body is not valid JSON".
  it('refuses an unknown field with 422 naming it (a misspelt reason is not silently dropped)', async () => {
    const app = await api();
    for (const url of ['/v1/jobs/some-job/cancel', '/v1/jobs/some-job']) {
      const answer = await app.inject({ method: url.endsWith('cancel') ? 'POST' : 'DELETE', url, headers: bearer(TOKEN), payload: { reasn: 'typo' } });
      expect(answer.statusCode).toBe(422);
      expect(answer.json().detail).toContain('reasn');
    }
  });
});

describe('/openapi.json', () => {
  async function document(extra: Partial<ApiConfigInput> = {}) {
    const app = await api(extra);
    return (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  }

  it('documents the cancel body as optional (a cancel may come without one), and no other body so', async () => {
    const doc = await document();
    expect(doc.paths['/v1/jobs/{jobId}/cancel'].post.requestBody.required).toBe(false);
    expect(doc.paths['/v1/jobs/{jobId}'].delete.requestBody.required).toBe(false);
    expect(doc.paths['/v1/jobs'].post.requestBody.required).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('x-shale-optional-body');
    expect(doc.components.schemas.CancelRequestBodyInput ?? doc.components.schemas.CancelRequestBody).toMatchObject({ additionalProperties: false });
  });

  // Found by schemathesis (ST108): the stream was documented as {type: string}, which tools read as each event's schema.
  it('documents each log-stream event as {event, data, id, retry}', async () => {
    const doc = await document();
    const content = doc.paths['/v1/jobs/{jobId}/logs/follow'].get.responses['200'].content['text/event-stream'];
    expect(content.schema.$ref).toBe('#/components/schemas/LogStreamEvent');
    expect(doc.components.schemas.LogStreamEvent).toMatchObject({
      type: 'object',
      required: ['event', 'data'],
      properties: { event: { enum: ['log', 'end', 'error'] }, data: { type: 'string' }, id: { type: 'string' }, retry: { type: 'integer' } },
    });
  });

  // api.maxWaitSeconds was read nowhere: /wait held up to 300 s whatever the config said.
  it("holds a wait at most api.maxWaitSeconds, whatever timeout is asked for, and says so", async () => {
    const doc = await document({ maxWaitSeconds: 5 });
    const timeout = doc.paths['/v1/jobs/{jobId}/wait'].get.parameters.find((p: { name: string }) => p.name === 'timeout');
    expect(timeout.description).toContain('at most 5 s (api.maxWaitSeconds)');
    await app!.close();
    const waits: number[] = [];
    const client = {
      temporal: { workflow: { getHandle: () => ({ describe: async () => ({ type: WORKFLOW_TYPE, typedSearchAttributes: { get: () => 'e2e' } }) }) } },
      wait: async (jobId: string, options: { timeoutMs: number }) => {
        waits.push(options.timeoutMs);
        return { jobId };
      },
    } as unknown as ShaleClient;
    const config = parseApiConfig({ maxWaitSeconds: 5, principals: [{ name: 'admin', teams: ['*'], roles: ['admin'], tokenSha256: sha(TOKEN) }] }, 'test');
    app = await buildApi({ client, config, logger: pino({ level: 'silent' }) });
    for (const asked of ['?timeout=300', '?timeout=2', '']) {
      // The status the fake answers is not a whole JobStatus: only the timeout handed to the client matters here.
      await app.inject({ method: 'GET', url: `/v1/jobs/some-job/wait${asked}`, headers: bearer(TOKEN) });
    }
    expect(waits).toEqual([5_000, 2_000, 5_000]);
  });
});
