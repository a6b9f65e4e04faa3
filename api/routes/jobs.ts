/**
 * /v1/jobs: submit, status, list, cancel, wait, logs (and their SSE follow), audit, rerun. Each route
 * names the role it needs (checked before anything else, in server.ts); a job of a team the
 * principal does not belong to answers 404 exactly like a job that does not exist.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { validatorCompiler as zodValidatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { JOB_STATES, parseJobSpec, SA, WORKFLOW_TYPE, type JobState } from '../../contract';
import { jobStatusSchema } from '../../contract/statusSchema';
import { IdempotencyConflictError, InvalidSpecError } from '../../client/errors';
import { followLog, readLog } from '../../client/logs';
import type { ShaleClient, Submitted } from '../../client/shaleClient';
import { mayActOnTeam, type Principal } from '../principals';
import { wrapPageToken, unwrapPageToken } from '../pageToken';
import { ApiProblem, problemResponses } from '../problem';
import {
  auditAnswerSchema,
  cancelBodySchema,
  cancelResultSchema,
  followQuerySchema,
  jobIdParams,
  jobPageSchema,
  listQuerySchema,
  logChunkSchema,
  logQuerySchema,
  logStreamEventSchema,
  submitAnswerSchema,
  submitBodySchema,
  submitHeaders,
  waitQuerySchema,
} from '../schemas';
import { recordRequest } from '../metrics';
import { OPTIONAL_BODY, type ApiContext } from '../server';

const security = [{ bearer: [] }];
/** Problems every authenticated route may answer with. */
const COMMON = [400, 401, 403, 429, 500, 503] as const;
/** How long one page of the list may take: a visibility store that does not answer is a 503, not a hung request. */
const LIST_DEADLINE_MS = 10_000;

/** What a submit (or a rerun) reports (ShaleClient's Submitted). */
type SubmitLike = Pick<Submitted, 'jobId' | 'created' | 'rerun'>;

function principalOf(request: FastifyRequest): Principal {
  // The onRequest hook sets it on every route that names a role.
  if (!request.principal) throw new ApiProblem(401, 'no credentials: send Authorization: Bearer <token>');
  return request.principal;
}

/** The job's team, or undefined when there is no such Shale job (other workflow types are not jobs). */
async function teamOfJob(client: ShaleClient, jobId: string): Promise<string | undefined> {
  try {
    const description = await client.temporal.workflow.getHandle(jobId).describe();
    if (description.type !== WORKFLOW_TYPE) return undefined;
    return description.typedSearchAttributes.get(SA.team);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** 404 unless the job exists and belongs to one of the principal's teams: another team's job is not said to exist. */
async function requireVisibleJob(context: ApiContext, principal: Principal, jobId: string): Promise<void> {
  const team = await teamOfJob(context.client, jobId);
  if (team === undefined || !mayActOnTeam(principal, team)) {
    if (team !== undefined) context.metrics.denials.inc({ reason: 'not-visible' });
    throw new ApiProblem(404, `no job ${jobId}`, { jobId });
  }
}

export function registerJobRoutes(app: FastifyInstance, context: ApiContext): void {
  const { client, metrics } = context;
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/v1/jobs',
    {
      config: { role: 'submit' },
      // The spec is checked by the contract's parseJobSpec (field-level errors, caps, credential checks), not by the route's schema,
      // which is here for the OpenAPI document.
      validatorCompiler: ({ httpPart, schema, method, url }) =>
        httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorFor(schema, method, url, httpPart),
      schema: {
        summary: 'Submit a job',
        description:
          'Validates the spec (422 with field-level errors), then starts the job. With an Idempotency-Key: a running or succeeded job ' +
          'with that key is returned as it is (200); one that ended FAILED, CANCELLED or TIMED_OUT runs again under the same job ID (201, ' +
          'rerun: true); the key with another spec is a 409 naming the differing fields. `requestedBy` is the principal: a body that ' +
          'sets it is refused (422). The spec\'s team must be one of the principal\'s (403).',
        tags: ['jobs'],
        security,
        headers: submitHeaders,
        body: submitBodySchema,
        response: { 200: submitAnswerSchema, 201: submitAnswerSchema, ...problemResponses(...COMMON, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body: unknown = request.body;
      const parsed = parseJobSpec(body);
      if (!parsed.ok) {
        metrics.submits.inc({ outcome: 'invalid' });
        throw new InvalidSpecError(parsed.errors);
      }
      if (body !== null && typeof body === 'object' && 'requestedBy' in body) {
        metrics.submits.inc({ outcome: 'invalid' });
        throw new InvalidSpecError([{ field: 'requestedBy', message: `is set by Shale to the caller (${principal.name}); leave it out` }]);
      }
      if (!mayActOnTeam(principal, parsed.spec.team)) {
        metrics.submits.inc({ outcome: 'forbidden' });
        metrics.denials.inc({ reason: 'forbidden' });
        throw new ApiProblem(403, `principal ${principal.name} may not submit jobs for team ${parsed.spec.team}`);
      }
      const key = request.headers['idempotency-key'];
      let submitted: SubmitLike;
      try {
        submitted = await client.submit(body, { idempotencyKey: key, requestedBy: principal.name });
      } catch (err) {
        metrics.submits.inc({ outcome: err instanceof InvalidSpecError ? 'invalid' : err instanceof IdempotencyConflictError ? 'conflict' : 'error' });
        throw err;
      }
      return reply.code(submitted.created ? 201 : 200).send(await submitAnswer(client, submitted, metrics));
    },
  );

  routes.get(
    '/v1/jobs/:jobId',
    {
      config: { role: 'read' },
      schema: { summary: "A job's status", tags: ['jobs'], security, params: jobIdParams, response: { 200: jobStatusSchema, ...problemResponses(...COMMON, 404) } },
    },
    async (request) => {
      await requireVisibleJob(context, principalOf(request), request.params.jobId);
      return client.status(request.params.jobId);
    },
  );

  routes.get(
    '/v1/jobs',
    {
      config: { role: 'read' },
      schema: {
        summary: "List jobs of the principal's teams, newest first",
        tags: ['jobs'],
        security,
        querystring: listQuerySchema,
        response: { 200: jobPageSchema, ...problemResponses(...COMMON) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
      if (q.team && !mayActOnTeam(principal, q.team)) {
        metrics.denials.inc({ reason: 'forbidden' });
        throw new ApiProblem(403, `team ${q.team} is not one of principal ${principal.name}'s teams`);
      }
      const labels = q.label === undefined ? [] : Array.isArray(q.label) ? q.label : [q.label];
      const teams = principal.teams === '*' ? undefined : [...principal.teams];
      const filter = { team: q.team, state: q.state, cluster: q.cluster, labels, since: q.since ? new Date(q.since) : undefined, teams };
      // A token pages the query it came from, for the principal it was given to.
      const binding = JSON.stringify({ ...filter, principal: principal.name, pageSize: q.pageSize });
      const pageToken = q.pageToken === undefined ? undefined : unwrapPageToken(q.pageToken, binding);
      if (q.pageToken !== undefined && pageToken === undefined) {
        throw new ApiProblem(400, 'pageToken is not the nextPageToken of this query (same filters and pageSize)', {
          errors: [{ field: 'querystring.pageToken', message: 'not a token this query handed out' }],
        });
      }
      try {
        const page = await client.temporal.withDeadline(Date.now() + LIST_DEADLINE_MS, () => client.listPage(filter, { pageSize: q.pageSize, pageToken }));
        return { jobs: page.jobs, ...(page.nextPageToken ? { nextPageToken: wrapPageToken(page.nextPageToken, binding) } : {}) };
      } catch (err) {
        // INVALID_ARGUMENT: a query or token Temporal does not accept.
        if ((err as { code?: unknown }).code === 3) throw new ApiProblem(400, `the list query was refused: ${(err as Error).message}`);
        throw err;
      }
    },
  );

  const cancelRoute = {
    config: { role: 'cancel' as const },
    schema: {
      summary: 'Cancel a job',
      description:
        'Idempotent: the request id (body requestId, else the Idempotency-Key or X-Request-Id header, else a new one) names the request, ' +
        'and a retry gets the first answer. A job that already ended is left alone; the answer says how it ended.',
      tags: ['jobs'],
      security,
      params: jobIdParams,
      body: cancelBodySchema.nullish(),
      // The body may be left out (fastify-swagger documents every body as required; server.ts reads this mark).
      [OPTIONAL_BODY]: true,
      response: { 200: cancelResultSchema, ...problemResponses(...COMMON, 404, 413, 415, 422) },
    },
  };
  const cancel = async (request: FastifyRequest<{ Params: { jobId: string }; Body: { reason?: string; requestId?: string } | null | undefined }>) => {
    const principal = principalOf(request);
    const { jobId } = request.params;
    await requireVisibleJob(context, principal, jobId);
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' && /^[\x21-\x7e]{1,200}$/.test(value) ? value : undefined;
    };
    const requestId = request.body?.requestId ?? header('idempotency-key') ?? header('x-request-id');
    return client.cancel(jobId, { reason: request.body?.reason, requestedBy: principal.name, ...(requestId ? { requestId } : {}) });
  };
  routes.delete('/v1/jobs/:jobId', cancelRoute, cancel);
  routes.post('/v1/jobs/:jobId/cancel', cancelRoute, cancel);

  routes.get(
    '/v1/jobs/:jobId/wait',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Wait for the job to end (long poll)',
        description: 'Answers with the status as soon as the job ends, or when `timeout` seconds have passed: check `state`.',
        tags: ['jobs'],
        security,
        params: jobIdParams,
        querystring: waitQuerySchema(context.config.maxWaitSeconds),
        response: { 200: jobStatusSchema, ...problemResponses(...COMMON, 404) },
      },
    },
    async (request) => {
      const { jobId } = request.params;
      await requireVisibleJob(context, principalOf(request), jobId);
      const timeoutMs = Math.min(request.query.timeout, context.config.maxWaitSeconds) * 1000;
      // The signal ends the long poll early when the caller hangs up.
      const gone = new AbortController();
      request.raw.once('close', () => gone.abort());
      return client.wait(jobId, { timeoutMs, signal: gone.signal });
    },
  );

  routes.get(
    '/v1/jobs/:jobId/logs',
    {
      config: { role: 'read' },
      schema: {
        summary: "The tail of an attempt's log",
        description: "Read from Livy through a worker while Livy holds the batch (the Livy credential stays in Shale's processes), else the tail Shale kept.",
        tags: ['logs'],
        security,
        params: jobIdParams,
        querystring: logQuerySchema,
        response: { 200: logChunkSchema, ...problemResponses(...COMMON, 404) },
      },
    },
    async (request) => {
      const { jobId } = request.params;
      await requireVisibleJob(context, principalOf(request), jobId);
      const status = await client.status(jobId);
      if (request.query.attempt !== undefined && !status.attempts.some((a) => a.n === request.query.attempt)) {
        throw new ApiProblem(404, `job ${jobId} has no attempt ${request.query.attempt}`, { jobId });
      }
      const chunk = await readLog(client, status, { attempt: request.query.attempt, lines: request.query.size, from: request.query.from });
      return chunk ?? { source: 'shale' as const, lines: [], note: 'the job has made no attempt yet' };
    },
  );

  routes.get(
    '/v1/jobs/:jobId/logs/follow',
    {
      config: { role: 'read' },
      schema: {
        summary: "Follow an attempt's log as Server-Sent Events until the job ends",
        description:
          '`event: log` with `data: {"attempt": n, "lines": [...]}` for each batch of new lines, then `event: end` with `data: {"state": "<final state>"}`.',
        tags: ['logs'],
        security,
        params: jobIdParams,
        querystring: followQuerySchema,
        response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: logStreamEventSchema } } }, ...problemResponses(...COMMON, 404) },
      },
    },
    async (request, reply) => {
      const { jobId } = request.params;
      await requireVisibleJob(context, principalOf(request), jobId);
      const started = Date.now();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      raw.flushHeaders();
      let closed = false;
      request.raw.once('close', () => (closed = true));
      raw.once('close', () => (closed = true));
      const send = (event: string, data: unknown) => {
        if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      // A comment every 15 s keeps proxies from closing a quiet stream.
      const keepAlive = setInterval(() => !closed && raw.write(': keep-alive\n\n'), 15_000);
      let status = 200;
      try {
        const final = await followLog(
          client,
          async () => {
            // The caller hung up: stop following (followLog ends on the error).
            if (closed) throw new Error('the caller closed the stream');
            return client.status(jobId);
          },
          { attempt: request.query.attempt },
          (chunk) => send('log', { attempt: chunk.attempt, lines: chunk.lines }),
        );
        send('end', { state: final.state });
      } catch (err) {
        if (!closed) {
          status = 500;
          send('error', { detail: `following the log failed: ${(err as Error).message}` });
        }
      } finally {
        clearInterval(keepAlive);
        raw.end();
      }
      // A hijacked reply skips onResponse: count and log it here.
      recordRequest(metrics, context.logger, { method: 'GET', route: '/v1/jobs/:jobId/logs/follow', url: request.url, status, ms: Date.now() - started, principal: request.principal?.name });
    },
  );

  routes.get(
    '/v1/jobs/:jobId/audit',
    {
      config: { role: 'read' },
      schema: { summary: "The job's audit timeline", tags: ['jobs'], security, params: jobIdParams, response: { 200: auditAnswerSchema, ...problemResponses(...COMMON, 404) } },
    },
    async (request) => {
      await requireVisibleJob(context, principalOf(request), request.params.jobId);
      return { entries: await client.audit(request.params.jobId) };
    },
  );

  routes.post(
    '/v1/jobs/:jobId/rerun',
    {
      config: { role: 'submit' },
      schema: {
        summary: 'Run a job that ended FAILED, CANCELLED or TIMED_OUT again, under the same job ID',
        description: 'A running or succeeded job is not run again (409).',
        tags: ['jobs'],
        security,
        params: jobIdParams,
        response: { 201: submitAnswerSchema, ...problemResponses(...COMMON, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { jobId } = request.params;
      await requireVisibleJob(context, principal, jobId);
      // A running or succeeded job is refused by the client (RerunNotAllowedError: 409).
      const submitted = await client.rerun(jobId, { requestedBy: principal.name });
      return reply.code(201).send(await submitAnswer(client, { ...submitted, rerun: true }, metrics));
    },
  );
}

async function submitAnswer(client: ShaleClient, submitted: SubmitLike, metrics: ApiContext['metrics']) {
  const { rerun, created } = submitted;
  metrics.submits.inc({ outcome: rerun ? 'rerun' : created ? 'created' : 'existing' });
  // A new job or run is QUEUED until its worker says otherwise. An existing one's state is the one it
  // publishes (ShaleState): read from the server, it needs no worker, unlike a status query, which
  // under load made the repeat of a key slower than the submit itself (p99 3.5 s against 1.3 s).
  const state: JobState = created ? 'QUEUED' : await publishedState(client, submitted.jobId);
  return { jobId: submitted.jobId, created, rerun, state };
}

async function publishedState(client: ShaleClient, jobId: string): Promise<JobState> {
  const description = await client.temporal.workflow.getHandle(jobId).describe();
  const state = description.typedSearchAttributes.get(SA.state) as string | undefined;
  return (JOB_STATES as readonly string[]).includes(state ?? '') ? (state as JobState) : (await client.status(jobId)).state;
}

/** The zod validator for the parts of a request other than a submit's body. */
function validatorFor(schema: unknown, method: string, url: string, httpPart: string | undefined) {
  return zodValidatorCompiler({ schema, method, url, httpPart } as Parameters<typeof zodValidatorCompiler>[0]);
}
