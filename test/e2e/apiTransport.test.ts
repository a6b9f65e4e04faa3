/**
 * The API's edges, without a worker (nothing here runs a job): per-principal rate limits, HTTPS with
 * a certificate made at test time, JWT principals verified against a local JWKS file, a smaller body
 * limit, a token-protected /metrics, and the request log (one line per request, never the token).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Connection } from '@temporalio/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseApiConfig } from '../../api/config';
import { startApi, type RunningApi } from '../../api/server';
import { ShaleClient } from '../../client/shaleClient';
import { callApi, principalsConfig, TOKENS } from './apiHarness';

let connection: Connection;
let client: ShaleClient;
let dir: string;
const running: RunningApi[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = await ShaleClient.connect({ connection, namespace: inject('temporalNamespace'), taskQueue: `api-transport-${Date.now()}`, identity: 'api-transport-test' });
  dir = await mkdtemp(join(tmpdir(), 'shale-api-transport-'));
});
afterAll(async () => {
  await Promise.all(running.map((api) => api.close()));
  await connection?.close();
  await rm(dir, { recursive: true, force: true });
});

async function api(extra: Parameters<typeof principalsConfig>[0] = {}, logger = pino({ level: 'silent' })): Promise<RunningApi> {
  const started = await startApi({ client, config: parseApiConfig(principalsConfig(extra)), logger, host: '127.0.0.1' });
  running.push(started);
  return started;
}

describe('rate limits', () => {
  it("answers 429 (problem, Retry-After) past a principal's budget, without touching another principal's", async () => {
    const { url } = await api({ rateLimit: { max: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await callApi(url, 'reader', 'GET', '/v1/jobs')).status).toBe(200);
    const limited = await callApi(url, 'reader', 'GET', '/v1/jobs');
    expect(limited.status).toBe(429);
    expect(limited.contentType).toContain('application/problem+json');
    expect(limited.body).toMatchObject({ status: 429, detail: expect.stringContaining('e2e-reader') });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await callApi(url, 'submitter', 'GET', '/v1/jobs')).status).toBe(200);
    // Health and the OpenAPI document are not rate limited.
    for (let i = 0; i < 5; i++) expect((await callApi(url, 'nobody', 'GET', '/healthz')).status).toBe(200);
  });
});

describe('HTTPS', () => {
  it('serves over TLS with the configured certificate', async () => {
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const { url } = await api({ tls: { certFile, keyFile } });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: await readFile(certFile, 'utf8') } });
    const answer = await undiciFetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ${TOKENS.reader}` }, dispatcher });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ jobs: expect.any(Array) });
    // A client that does not trust the certificate does not get through.
    await expect(undiciFetch(`${url}/healthz`)).rejects.toThrow();
    await dispatcher.close();
  });
});

describe('JWT principals', () => {
  it('accepts a token the JWKS file signed, with teams and roles from its claims', async () => {
    const pair = await generateKeyPair('RS256');
    const jwksFile = join(dir, 'jwks.json');
    await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256' }] }));
    const { url } = await api({ jwt: { issuer: 'https://idp.example', audience: 'shale-api', jwksFile, teamsClaim: 'groups', rolesClaim: 'scope' } });
    const token = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'idp-1' }).setIssuer('https://idp.example').setAudience('shale-api').setExpirationTime('2m').sign(pair.privateKey);
    const call = async (jwt: string, method: string, path: string, body?: unknown) =>
      (await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${jwt}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })) as Response;

    const reader = await token({ sub: 'svc-reporting', groups: ['e2e'], scope: 'read' });
    expect((await call(reader, 'GET', '/v1/jobs')).status).toBe(200);
    const refused = await call(reader, 'POST', '/v1/jobs', { name: 'x', team: 'e2e', kind: 'pyspark', file: 's3://b/app.py' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain('svc-reporting lacks the submit role');
    const wrongAudience = await new SignJWT({ sub: 'x', groups: ['e2e'], scope: 'read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setIssuer('https://idp.example')
      .setAudience('someone-else')
      .setExpirationTime('2m')
      .sign(pair.privateKey);
    const denied = await call(wrongAudience, 'GET', '/v1/jobs');
    expect(denied.status).toBe(401);
    // Static tokens still work beside JWTs.
    expect((await callApi(url, 'reader', 'GET', '/v1/jobs')).status).toBe(200);
  });
});

describe('limits, metrics and the request log', () => {
  it('a smaller body limit answers 413; /metrics can require a token; one log line per request, never the token', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).trim().split('\n')), done()) });
    const { url } = await api({ bodyLimitBytes: 2048, metricsRequireToken: true }, pino({ level: 'info' }, sink));
    const big = await callApi(url, 'submitter', 'POST', '/v1/jobs', { name: 'x', team: 'e2e', kind: 'pyspark', file: 's3://b/app.py', args: ['y'.repeat(4096)] });
    expect(big.status).toBe(413);
    expect(big.body.status).toBe(413);
    expect((await callApi(url, 'nobody', 'GET', '/metrics')).status).toBe(401);
    const metrics = await callApi(url, 'reader', 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('shale_api_request_duration_seconds_bucket');
    expect((await callApi(url, 'bad', 'GET', '/v1/jobs')).status).toBe(401);

    expect(lines).toHaveLength(4);
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed.map((l) => [l.method, l.url, l.status])).toEqual([
      ['POST', '/v1/jobs', 413],
      ['GET', '/metrics', 401],
      ['GET', '/metrics', 200],
      ['GET', '/v1/jobs', 401],
    ]);
    expect(parsed[2].principal).toBe('e2e-reader');
    const all = lines.join('\n');
    for (const secret of [...Object.values(TOKENS), 'not-a-known-token']) expect(all).not.toContain(secret);
    expect(all).not.toContain(createHash('sha256').update(TOKENS.reader).digest('hex'));
  });
});

describe('shutdown', () => {
  it('closing the API ends an open long poll at once rather than waiting out its timeout', async () => {
    const started = await api();
    const submitted = await callApi(started.url, 'submitter', 'POST', '/v1/jobs', { name: 'never-run', team: 'e2e', kind: 'pyspark', file: 's3://b/app.py' });
    expect(submitted.status).toBe(201);
    // No worker polls this file's task queue: the job stays QUEUED and the wait would hold for 300 s.
    const received = new Promise((resolve) => started.app.server.once('request', resolve));
    const waiting = callApi(started.url, 'reader', 'GET', `/v1/jobs/${submitted.body.jobId}/wait?timeout=300`).catch((err: Error) => err);
    await received;
    const closing = Date.now();
    await started.close();
    expect(Date.now() - closing).toBeLessThan(5_000);
    expect(await waiting).toBeInstanceOf(Error);
  });
});
