/**
 * The HTTP API's authorization matrix (issue 10, "Checks the API must pass"). Every operation in
 * /openapi.json is classified below (an operation the table does not know fails the test, so a new
 * endpoint cannot slip past), and each protected one is tried with no token, three malformed
 * Authorization headers, a well-formed token nobody holds, another team's all-roles token and a
 * same-team token lacking the operation's role, and the same through JWTs (signed by a key the JWKS
 * does not hold, expired, for another audience, another team's, without the role): each must be
 * denied (401, 404 for another team's job, 403 otherwise) with a problem+json saying why, and
 * nothing may change — no job started,
 * cancelled or rerun, checked in Temporal and in the Livy simulators' request logs. Then each
 * operation is allowed with a token holding exactly its role, so the matrix is not vacuous.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLES, type Role } from '../../api/config';
import { attemptName, jobIdFromKey } from '../../contract';
import { startTestApi, type ApiUnderTest, type TestPrincipal } from '../support/apiStack';
import { simSpec, startStack, type E2EStack } from '../support/stack';

const TEAM = 'authz';
const RIVAL_TEAM = 'rival';
const WORKING_ROLES = ROLES.filter((r) => r !== 'admin');

/** The fixtures an operation acts on: a job that runs until cancelled, and one that ended FAILED (rerun needs it). */
type Target = 'running' | 'failed' | 'none';

interface RequestShape {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Operation {
  /** 'public' needs no token. */
  role: Role | 'public';
  target: Target;
  /** Scoped to the job's team: another team's token gets 404 (the job is not said to exist); else 403. */
  jobScoped: boolean;
  /** The request, for a target job ID (and a fresh value where one is needed, e.g. an idempotency key). */
  request(jobId: string, fresh: string): RequestShape;
  /** What the allowed request answers; a stream is only opened. */
  allowed: number;
  stream?: boolean;
}

const spec = (name: string, conf: Record<string, string> = {}) => simSpec(name, conf, { team: TEAM });

/** Every operation of the API, by `METHOD path` as /openapi.json names it. */
const OPERATIONS: Record<string, Operation> = {
  'GET /healthz': { role: 'public', target: 'none', jobScoped: false, request: () => ({ method: 'GET', path: '/healthz' }), allowed: 200 },
  'GET /readyz': { role: 'public', target: 'none', jobScoped: false, request: () => ({ method: 'GET', path: '/readyz' }), allowed: 200 },
  // Open for Prometheus scrapers inside the network unless api.metricsRequireToken (its default: false).
  'GET /metrics': { role: 'public', target: 'none', jobScoped: false, request: () => ({ method: 'GET', path: '/metrics' }), allowed: 200 },
  'POST /v1/jobs': {
    role: 'submit',
    target: 'none',
    jobScoped: false,
    request: (_, fresh) => ({ method: 'POST', path: '/v1/jobs', headers: { 'idempotency-key': fresh }, body: spec(`authz-${fresh.slice(-6)}`) }),
    allowed: 201,
  },
  'GET /v1/jobs': { role: 'read', target: 'none', jobScoped: false, request: () => ({ method: 'GET', path: `/v1/jobs?team=${TEAM}` }), allowed: 200 },
  'GET /v1/jobs/{jobId}': { role: 'read', target: 'running', jobScoped: true, request: (id) => ({ method: 'GET', path: `/v1/jobs/${id}` }), allowed: 200 },
  'DELETE /v1/jobs/{jobId}': {
    role: 'cancel',
    target: 'running',
    jobScoped: true,
    request: (id) => ({ method: 'DELETE', path: `/v1/jobs/${id}` }),
    allowed: 200,
  },
  'POST /v1/jobs/{jobId}/cancel': {
    role: 'cancel',
    target: 'running',
    jobScoped: true,
    request: (id, fresh) => ({ method: 'POST', path: `/v1/jobs/${id}/cancel`, body: { reason: 'authorization matrix', requestId: fresh } }),
    allowed: 200,
  },
  'GET /v1/jobs/{jobId}/wait': { role: 'read', target: 'running', jobScoped: true, request: (id) => ({ method: 'GET', path: `/v1/jobs/${id}/wait?timeout=1` }), allowed: 200 },
  'GET /v1/jobs/{jobId}/logs': { role: 'read', target: 'running', jobScoped: true, request: (id) => ({ method: 'GET', path: `/v1/jobs/${id}/logs` }), allowed: 200 },
  'GET /v1/jobs/{jobId}/logs/follow': {
    role: 'read',
    target: 'running',
    jobScoped: true,
    request: (id) => ({ method: 'GET', path: `/v1/jobs/${id}/logs/follow` }),
    allowed: 200,
    stream: true,
  },
  'GET /v1/jobs/{jobId}/audit': { role: 'read', target: 'running', jobScoped: true, request: (id) => ({ method: 'GET', path: `/v1/jobs/${id}/audit` }), allowed: 200 },
  'POST /v1/jobs/{jobId}/rerun': { role: 'submit', target: 'failed', jobScoped: true, request: (id) => ({ method: 'POST', path: `/v1/jobs/${id}/rerun` }), allowed: 201 },
};

/** Served but left out of the document on purpose. */
const UNDOCUMENTED: Record<string, Operation> = {
  'GET /openapi.json': { role: 'public', target: 'none', jobScoped: false, request: () => ({ method: 'GET', path: '/openapi.json' }), allowed: 200 },
};

/** One principal per role holding exactly it, one per role holding every other working role, and another team's with all. */
const PRINCIPALS: TestPrincipal[] = [
  ...WORKING_ROLES.map((role): TestPrincipal => ({ name: `only-${role}`, teams: [TEAM], roles: [role] })),
  ...ROLES.map((role): TestPrincipal => ({ name: `all-but-${role}`, teams: [TEAM], roles: WORKING_ROLES.filter((r) => r !== role) })),
  { name: 'rival-admin', teams: [RIVAL_TEAM], roles: ['admin'] },
  { name: 'authz-admin', teams: [TEAM], roles: ['admin'] },
];

const JWT_ISSUER = 'https://idp.authz.test';
const JWT_AUDIENCE = 'shale-authz';

interface JwtOptions {
  key?: CryptoKey;
  audience?: string;
  /** Seconds since the epoch; default five minutes from now. */
  expiresAt?: number;
}

/** Signs a JWT the way an identity provider would for the API (api/config.ts `jwt`: shale_teams, shale_roles). */
function signJwt(key: CryptoKey, claims: { sub: string; teams: string[]; roles: string[] }, options: JwtOptions = {}): Promise<string> {
  return new SignJWT({ sub: claims.sub, shale_teams: claims.teams, shale_roles: claims.roles })
    .setProtectedHeader({ alg: 'ES256', kid: 'authz-k1' })
    .setIssuer(JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 300)
    .sign(options.key ?? key);
}

/**
 * The JWTs the matrix sends, by name, next to the static tokens: ones no principal may use, and
 * well-signed ones of another team or without a role (`jwt-all-but-<role>`), plus one per role for
 * the allowed cases.
 */
async function jwtCredentials(signingKey: CryptoKey): Promise<Record<string, string>> {
  const stranger = (await generateKeyPair('ES256')).privateKey;
  const allRoles = { sub: 'authz-jwt', teams: [TEAM], roles: [...WORKING_ROLES] };
  const out: Record<string, string> = {
    'jwt-stranger-key': await signJwt(signingKey, allRoles, { key: stranger }),
    'jwt-expired': await signJwt(signingKey, allRoles, { expiresAt: Math.floor(Date.now() / 1000) - 3600 }),
    'jwt-other-audience': await signJwt(signingKey, allRoles, { audience: 'someone-else' }),
    'jwt-rival-admin': await signJwt(signingKey, { sub: 'rival-jwt', teams: [RIVAL_TEAM], roles: ['admin'] }),
  };
  for (const role of ROLES) out[`jwt-all-but-${role}`] = await signJwt(signingKey, { sub: `authz-jwt-no-${role}`, teams: [TEAM], roles: WORKING_ROLES.filter((r) => r !== role) });
  for (const role of WORKING_ROLES) out[`jwt-only-${role}`] = await signJwt(signingKey, { sub: `authz-jwt-${role}`, teams: [TEAM], roles: [role] });
  return out;
}

interface Credential {
  label: string;
  /** The Authorization header, or undefined for none. */
  header(op: Operation, tokens: Record<string, string>): string | undefined;
  /** The denial it must meet. */
  want(op: Operation): number;
}

const unauthenticated = (label: string, header: () => string | undefined): Credential => ({ label, header, want: () => 401 });

const CREDENTIALS: Credential[] = [
  unauthenticated('no Authorization header', () => undefined),
  unauthenticated('Basic credentials', () => `Basic ${Buffer.from('admin:admin').toString('base64')}`),
  unauthenticated('"Bearer" without a token', () => 'Bearer '),
  unauthenticated('a token with a space in it', () => 'Bearer shale token'),
  unauthenticated('a well-formed token nobody holds', () => `Bearer shale-test-${randomBytes(24).toString('hex')}`),
  { label: "another team's admin token", header: (_, t) => `Bearer ${t['rival-admin']}`, want: (op) => (op.jobScoped ? 404 : 403) },
  { label: 'a same-team token without the role', header: (op, t) => `Bearer ${t[`all-but-${op.role}`]}`, want: () => 403 },
  { label: 'a JWT signed by a key the JWKS does not hold', header: (_, t) => `Bearer ${t['jwt-stranger-key']}`, want: () => 401 },
  { label: 'an expired JWT', header: (_, t) => `Bearer ${t['jwt-expired']}`, want: () => 401 },
  { label: 'a JWT for another audience', header: (_, t) => `Bearer ${t['jwt-other-audience']}`, want: () => 401 },
  { label: "another team's admin JWT", header: (_, t) => `Bearer ${t['jwt-rival-admin']}`, want: (op) => (op.jobScoped ? 404 : 403) },
  { label: 'a same-team JWT without the role', header: (op, t) => `Bearer ${t[`jwt-all-but-${op.role}`]}`, want: () => 403 },
];

interface Answer {
  status: number;
  contentType: string;
  wwwAuthenticate: string | null;
  body: Record<string, unknown> | undefined;
}

async function call(api: ApiUnderTest, shape: RequestShape, authorization: string | undefined, stream = false): Promise<Answer> {
  const headers: Record<string, string> = { ...shape.headers };
  if (authorization !== undefined) headers.authorization = authorization;
  if (shape.body !== undefined) headers['content-type'] = 'application/json';
  const abort = new AbortController();
  const res = await fetch(`${api.url}${shape.path}`, {
    method: shape.method,
    headers,
    signal: abort.signal,
    ...(shape.body !== undefined ? { body: JSON.stringify(shape.body) } : {}),
  });
  const contentType = res.headers.get('content-type') ?? '';
  let body: Record<string, unknown> | undefined;
  // An allowed stream runs until the job ends: its status and type are what this test needs.
  if (stream && res.ok) abort.abort();
  else {
    const text = await res.text();
    body = /json/.test(contentType) ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  }
  return { status: res.status, contentType, wwwAuthenticate: res.headers.get('www-authenticate'), body };
}

/** What is wrong with a denial, or undefined if it is right: the status, a problem+json that says why, and no token echoed. */
function judgeDenial(answer: Answer, want: number, sentHeader: string | undefined, op: Operation, jobId: string): string | undefined {
  if (answer.status !== want) return `answered ${answer.status} (want ${want})${answer.body?.detail ? `: ${String(answer.body.detail)}` : ''}`;
  if (!answer.contentType.startsWith('application/problem+json')) return `content-type ${answer.contentType} (want application/problem+json)`;
  const body = answer.body ?? {};
  if (body.status !== want || typeof body.type !== 'string' || typeof body.title !== 'string') return `not a problem: ${JSON.stringify(body)}`;
  const detail = typeof body.detail === 'string' ? body.detail : '';
  if (detail.length < 10) return `the problem does not say why: ${JSON.stringify(body)}`;
  const token = sentHeader?.split(' ').slice(1).join(' ');
  if (token && token.length > 8 && JSON.stringify(body).includes(token)) return 'the problem echoes the token';
  if (want === 401 && !/^Bearer\b/i.test(answer.wwwAuthenticate ?? '')) return `401 without WWW-Authenticate: Bearer (got ${answer.wwwAuthenticate})`;
  if (want === 403 && op.role !== 'public' && !detail.includes(op.role) && !detail.includes(TEAM)) return `403 does not name the role or team: ${detail}`;
  if (want === 404 && !detail.includes(jobId)) return `404 does not name the job: ${detail}`;
  return undefined;
}

async function workflowExists(stack: E2EStack, jobId: string): Promise<boolean> {
  try {
    await stack.client.temporal.workflow.getHandle(jobId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

describe('HTTP API authorization matrix', () => {
  let stack: E2EStack;
  let api: ApiUnderTest;
  let jwksDir: string;
  /** The static principals' tokens and the JWTs, by name. */
  let tokens: Record<string, string>;
  let operations: string[];
  const jobs: Record<Exclude<Target, 'none'>, string> = { running: '', failed: '' };
  const runIds: Record<string, string> = {};
  /** Idempotency keys of submits that were denied: none of their jobs may exist. */
  const deniedKeys: string[] = [];
  const batchRequests = (method: 'POST' | 'DELETE') => [...stack.spark2.requests({ method }), ...stack.spark3.requests({ method })].filter((r) => r.batchName !== undefined);

  beforeAll(async () => {
    stack = await startStack('api-authz');
    const signing = await generateKeyPair('ES256');
    jwksDir = await mkdtemp(join(tmpdir(), 'shale-authz-jwks-'));
    const jwksFile = join(jwksDir, 'jwks.json');
    await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(signing.publicKey)), kid: 'authz-k1', alg: 'ES256', use: 'sig' }] }));
    // The matrix sends hundreds of requests without a valid token from one address: lift the per-address budget for them
    // (test/unit/apiAuthFailureLimit.test.ts checks that budget).
    api = await startTestApi(stack, PRINCIPALS, {
      jwt: { issuer: JWT_ISSUER, audience: JWT_AUDIENCE, jwksFile },
      unauthenticatedRateLimit: { max: 1_000_000, windowSeconds: 60 },
    });
    tokens = { ...api.tokens, ...(await jwtCredentials(signing.privateKey)) };
    // Runs until it is cancelled (ten minutes on the simulator).
    const running = await stack.client.submit(spec('authz-running', { 'shale.sim.durationMs': '600000' }), { idempotencyKey: `running-${Date.now()}`, requestedBy: 'fixture' });
    const failed = await stack.client.submit(
      { ...spec('authz-failed'), retry: { app: 0, infra: 0 }, conf: { 'shale.sim.durationMs': '100', 'shale.sim.outcome': 'dead' } },
      { idempotencyKey: `failed-${Date.now()}`, requestedBy: 'fixture' },
    );
    Object.assign(jobs, { running: running.jobId, failed: failed.jobId });
    await stack.client.wait(failed.jobId, { timeoutMs: 30_000 });
    await vi.waitFor(async () => expect((await stack.client.status(running.jobId)).state).toBe('RUNNING'), { timeout: 30_000, interval: 100 });
    expect((await stack.client.status(failed.jobId)).state).toBe('FAILED');
    for (const id of Object.values(jobs)) runIds[id] = (await stack.client.temporal.workflow.getHandle(id).describe()).runId;
    stack.spark2.clearRequests();
    stack.spark3.clearRequests();
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await stack?.teardown();
    if (jwksDir) await rm(jwksDir, { recursive: true, force: true });
  });

  it('knows every operation /openapi.json documents, and documents every one it knows', () => {
    expect(operations.filter((op) => !(op in OPERATIONS)), 'operations this test does not classify: add them to OPERATIONS').toEqual([]);
    expect(Object.keys(OPERATIONS).filter((op) => !operations.includes(op)), 'operations no longer in /openapi.json').toEqual([]);
  });

  it('denies every protected operation to every wrong credential, says why, and changes nothing', async () => {
    const protectedOps = Object.entries(OPERATIONS).filter(([, op]) => op.role !== 'public');
    const failures: string[] = [];
    let tried = 0;
    for (const [name, op] of protectedOps) {
      for (const credential of CREDENTIALS) {
        const fresh = `authz-denied-${randomBytes(6).toString('hex')}`;
        const jobId = op.target === 'none' ? '' : jobs[op.target];
        const header = credential.header(op, tokens);
        const answer = await call(api, op.request(jobId, fresh), header);
        tried++;
        if (name === 'POST /v1/jobs') deniedKeys.push(fresh);
        const wrong = judgeDenial(answer, credential.want(op), header, op, jobId);
        if (wrong) failures.push(`${name} with ${credential.label}: ${wrong}`);
      }
    }
    // The list must not show another team's jobs either when asked without a team.
    const rivalList = await call(api, { method: 'GET', path: '/v1/jobs' }, `Bearer ${tokens['rival-admin']}`);
    const leaked = ((rivalList.body?.jobs ?? []) as { team?: string }[]).filter((j) => j.team !== RIVAL_TEAM);
    if (rivalList.status !== 200 || leaked.length) failures.push(`GET /v1/jobs with another team's token: ${rivalList.status}, lists ${JSON.stringify(leaked)}`);
    // An unknown job and another team's job must look the same.
    const unknown = await call(api, { method: 'GET', path: '/v1/jobs/authz-no-such-job' }, `Bearer ${tokens['rival-admin']}`);
    const hidden = await call(api, { method: 'GET', path: `/v1/jobs/${jobs.running}` }, `Bearer ${tokens['rival-admin']}`);
    if (hidden.body?.type !== unknown.body?.type || hidden.body?.title !== unknown.body?.title) {
      failures.push(`another team's job answers ${JSON.stringify(hidden.body)}, an unknown job ${JSON.stringify(unknown.body)}`);
    }
    console.log(`authorization matrix: ${tried} denied requests (${protectedOps.length} protected operations × ${CREDENTIALS.length} credentials)`);
    expect(failures).toEqual([]);

    // Nothing changed: no batch submitted or deleted, both jobs as they were, no job for any denied submit.
    expect(batchRequests('POST').map((r) => r.batchName)).toEqual([]);
    expect(batchRequests('DELETE').map((r) => r.batchName)).toEqual([]);
    const running = await stack.client.status(jobs.running);
    expect(running).toMatchObject({ state: 'RUNNING' });
    expect(running.cancel).toBeUndefined();
    expect((await stack.client.status(jobs.failed)).state).toBe('FAILED');
    for (const id of Object.values(jobs)) expect((await stack.client.temporal.workflow.getHandle(id).describe()).runId, id).toBe(runIds[id]);
    const started = [];
    for (const key of deniedKeys) if (await workflowExists(stack, jobIdFromKey(TEAM, key))) started.push(key);
    expect(deniedKeys).toHaveLength(CREDENTIALS.length);
    expect(started, 'denied submits that started a job').toEqual([]);
  }, 180_000);

  it('allows each operation with a token, and a JWT, holding exactly its role (and the public ones without a token)', async () => {
    const failures: string[] = [];
    // Reads first, then the changes: the cancels last, so the reads still see a running job.
    const order = (op: Operation) => (op.role === 'cancel' ? 2 : op.role === 'submit' ? 1 : 0);
    const all = Object.entries({ ...OPERATIONS, ...UNDOCUMENTED }).sort(([, a], [, b]) => order(a) - order(b));
    const submittedKeys: string[] = [];
    let allowed = 0;
    for (const [name, op] of all) {
      // A rerun runs the failed job again once; a second one would find it running (409).
      const holders = op.role === 'public' ? [undefined] : name === 'POST /v1/jobs/{jobId}/rerun' ? [`only-${op.role}`] : [`only-${op.role}`, `jwt-only-${op.role}`];
      for (const holder of holders) {
        const fresh = `authz-allowed-${randomBytes(6).toString('hex')}`;
        const jobId = op.target === 'none' ? '' : jobs[op.target];
        const answer = await call(api, op.request(jobId, fresh), holder === undefined ? undefined : `Bearer ${tokens[holder]}`, op.stream);
        allowed++;
        if (name === 'POST /v1/jobs') submittedKeys.push(fresh);
        if (answer.status !== op.allowed) failures.push(`${name} as ${holder ?? 'nobody'}: ${answer.status} (want ${op.allowed}) ${JSON.stringify(answer.body)}`);
        else if (op.stream && !answer.contentType.startsWith('text/event-stream')) failures.push(`${name} as ${holder ?? 'nobody'}: content-type ${answer.contentType}`);
      }
    }
    console.log(`authorization matrix: ${allowed} allowed requests over ${all.length} operations`);
    expect(failures).toEqual([]);
    // And the allowed changes happened: the submit's job, the rerun's new run (its attempt 2), the cancel's DELETE.
    for (const key of submittedKeys) expect(await workflowExists(stack, jobIdFromKey(TEAM, key)), key).toBe(true);
    await vi.waitFor(
      () => {
        const posts = batchRequests('POST').map((r) => r.batchName);
        expect(posts).toContain(attemptName(jobs.failed, 2));
        expect(batchRequests('DELETE').map((r) => r.batchName)).toContain(attemptName(jobs.running, 1));
      },
      { timeout: 30_000, interval: 200 },
    );
    expect((await stack.client.wait(jobs.running, { timeoutMs: 30_000 })).state).toBe('CANCELLED');
  }, 120_000);
});
