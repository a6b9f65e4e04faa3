/**
 * The HTTP job API (`shale api`): a stateless fastify process in front of ShaleClient, all state in
 * Temporal. Request and response bodies are checked against zod schemas, the same ones the OpenAPI
 * 3.1 document at /openapi.json is generated from. Every /v1 request carries a bearer token that
 * names a principal (api/principals.ts); errors are problem details (api/problem.ts).
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import pino, { type Logger } from 'pino';
import type { ShaleClient } from '../client/shaleClient';
import { CancelNotConfirmedError, IdempotencyConflictError, InvalidCancelError, InvalidSpecError, JobNotFoundError, RerunNotAllowedError } from '../client/errors';
import type { ApiConfig, Role } from './config';
import { MAX_JOB_ID_LENGTH } from '../contract';
import { createAuthFailureLimiter } from './authFailureLimiter';
import { createApiMetrics, recordRequest, type ApiMetrics } from './metrics';
import { AuthenticationError, createAuthenticator, hasRole, type Authenticator, type Principal } from './principals';
import { ApiProblem, problem, PROBLEM_CONTENT_TYPE } from './problem';
import { registerJobRoutes } from './routes/jobs';
import { registerServiceRoutes } from './routes/service';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The role a route needs; routes without one need no token (health, readiness, OpenAPI). */
    role?: Role;
  }
}

export const API_VERSION = '1.0.0';

/** Longest path parameter the router takes (a job ID is at most MAX_JOB_ID_LENGTH; between them the route's own check answers). */
const MAX_PARAM_LENGTH = 200;

/** A route schema key (fastify-swagger copies x- keys onto the operation) marking a body the route may go without. */
export const OPTIONAL_BODY = 'x-shale-optional-body';

export interface ApiOptions {
  client: ShaleClient;
  config: ApiConfig;
  /** Where token secrets named by the config (tokenEnv) are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** One JSON line per request; default pino to stdout at info. */
  logger?: Logger;
}

export interface ApiContext {
  client: ShaleClient;
  config: ApiConfig;
  metrics: ApiMetrics;
  authenticator: Authenticator;
  logger: Logger;
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const { config, client } = options;
  const logger = options.logger ?? pino({ name: 'shale-api' });
  const metrics = createApiMetrics();
  const authenticator = await createAuthenticator(config, options.env ?? process.env);
  const https = config.tls ? { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) } : undefined;
  const app = Fastify({
    ...(https ? { https } : {}),
    bodyLimit: config.bodyLimitBytes,
    // request.ip (the unauthenticated limit's key) is the caller's, not the load balancer's, behind a trusted proxy.
    trustProxy: config.trustProxy,
    // One line per request is written by the onResponse hook below (without headers: no token in logs).
    logger: false,
    // Job IDs are short; long URLs are someone probing. The router refuses a longer parameter before any hook
    // runs: frameworkErrors answers it (and a malformed URL) as a problem, after checking the token like any route.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, request, reply) => {
      void answerRouterError(error, request)
        .catch((err: unknown) => toProblem(err, request, logger))
        .then((answer) => sendProblem(reply, answer));
    },
    return503OnClosing: true,
    // Closing ends open long polls and log streams too (their callers retry), instead of waiting minutes for them.
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  /** What the router refused, as the problem the route's own validation would have answered with. */
  async function answerRouterError(error: FastifyError, request: FastifyRequest): Promise<ApiProblem> {
    await authenticate(request);
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      const message = `a job ID: lowercase letters, digits and -, at most ${MAX_JOB_ID_LENGTH} (this one is longer than ${MAX_PARAM_LENGTH})`;
      return new ApiProblem(400, `invalid params: params.jobId: ${message}`, { errors: [{ field: 'params.jobId', message }] });
    }
    return new ApiProblem(400, error.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid (a malformed percent-encoding?)' : error.message);
  }

  const context: ApiContext = { client, config, metrics, authenticator, logger };

  const authFailures = createAuthFailureLimiter(config.unauthenticatedRateLimit);
  /** The request's principal, or a 401 (a 429 once its address has failed too often: guessing tokens is slow). */
  const authenticate = async (request: FastifyRequest): Promise<Principal> => {
    const blockedFor = authFailures.blockedFor(request.ip);
    if (blockedFor !== undefined) {
      metrics.denials.inc({ reason: 'rate-limited' });
      throw new ApiProblem(
        429,
        `more than ${config.unauthenticatedRateLimit.max} requests without a valid token from ${request.ip} in ${config.unauthenticatedRateLimit.windowSeconds} s; retry after ${blockedFor} s`,
        {},
        { 'retry-after': String(blockedFor) },
      );
    }
    try {
      return await authenticator.authenticate(request.headers.authorization);
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err;
      authFailures.recordFailure(request.ip);
      metrics.denials.inc({ reason: 'unauthenticated' });
      throw new ApiProblem(401, err.message, {}, { 'www-authenticate': 'Bearer realm="shale"' });
    }
  };

  // Which methods each path takes, so a known path asked with another method is a 405 (with Allow), not a 404.
  const routeTable = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    const source = `^${route.url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`;
    let entry = routeTable.get(source);
    if (!entry) routeTable.set(source, (entry = { pattern: new RegExp(source), methods: new Set() }));
    for (const method of [route.method].flat()) entry.methods.add(method);
  });

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === undefined) {
      const path = request.url.split('?')[0]!;
      const allowed = [...routeTable.values()].find((r) => r.pattern.test(path));
      if (allowed) {
        const allow = [...allowed.methods].sort().join(', ');
        throw new ApiProblem(405, `${request.method} is not allowed on ${path}; allowed: ${allow}`, {}, { allow });
      }
      return;
    }
    const role = request.routeOptions.config.role;
    const needsToken = role !== undefined || (request.routeOptions.url === '/metrics' && config.metricsRequireToken);
    if (!needsToken) return;
    request.principal = await authenticate(request);
    if (role && !hasRole(request.principal, role)) {
      metrics.denials.inc({ reason: 'forbidden' });
      throw new ApiProblem(403, `principal ${request.principal.name} lacks the ${role} role this request needs`);
    }
  });

  // Every query parameter of this API wants a value; z.coerce.number() would read an empty one (`?timeout=`) as 0.
  app.addHook('preValidation', async (request) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const empty = Object.keys(query).filter((name) => [query[name]].flat().includes(''));
    if (empty.length > 0) {
      const errors = empty.map((name) => ({ field: `querystring.${name}`, message: 'is empty: give a value or leave the parameter out' }));
      throw new ApiProblem(400, `invalid querystring: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
    }
  });

  await app.register(fastifyRateLimit, {
    global: true,
    // Only authenticated requests count, against their principal's own budget.
    allowList: (request) => request.principal === undefined,
    keyGenerator: (request) => `principal:${request.principal?.name ?? request.ip}`,
    max: (request) => (request.principal?.rateLimit ?? config.rateLimit).max,
    timeWindow: (request) => (request.principal?.rateLimit ?? config.rateLimit).windowSeconds * 1000,
    errorResponseBuilder: (request, context) => {
      metrics.denials.inc({ reason: 'rate-limited' });
      return new ApiProblem(429, `principal ${request.principal?.name ?? '?'} made more than ${context.max} requests in its window; retry after ${context.after}`, {}, {
        'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))),
      });
    },
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Shale job API',
        version: API_VERSION,
        description:
          'Submit, watch and cancel Spark batch jobs run by Shale. Every /v1 request carries `Authorization: Bearer <token>`; ' +
          'a principal sees and acts on its own teams\' jobs only (others\' are 404). Errors are application/problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => markOptionalBodies(jsonSchemaTransformObject(input)),
  });

  app.addHook('onResponse', async (request, reply) => {
    recordRequest(metrics, logger, {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      principal: request.principal?.name,
    });
  });

  app.setNotFoundHandler((request, reply) => {
    void sendProblem(reply, new ApiProblem(404, `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => sendProblem(reply, toProblem(error, request, logger)));

  registerServiceRoutes(app, context);
  registerJobRoutes(app, context);
  return app;
}

/** fastify-swagger documents every request body as required: the operations marked OPTIONAL_BODY say it is not. */
function markOptionalBodies<T>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths ?? {};
  for (const operation of Object.values(paths).flatMap((path) => Object.values(path))) {
    if (!operation || typeof operation !== 'object' || !(OPTIONAL_BODY in operation)) continue;
    delete operation[OPTIONAL_BODY];
    const body = operation.requestBody as { required?: boolean } | undefined;
    if (body) body.required = false;
  }
  return document;
}

function sendProblem(reply: FastifyReply, error: ApiProblem) {
  for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
  const body = problem(error.status, error.detail, error.extra);
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Every error a request can meet, as the problem it answers with. Unknown errors are 500s without their message. */
export function toProblem(error: unknown, request: FastifyRequest, logger: Logger): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    const errors = error.validation.map((v) => ({
      field: [where === 'body' ? '' : where, ...v.instancePath.split('/').filter(Boolean)].filter(Boolean).join('.') || where,
      message: v.message ?? 'is invalid',
    }));
    // A body that does not fit is 422 (like an invalid spec); a bad parameter or header is 400.
    const status = where === 'body' ? 422 : 400;
    return new ApiProblem(status, `invalid ${where}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
  }
  if (error instanceof InvalidSpecError) {
    return new ApiProblem(422, error.message, { type: 'invalid-spec', errors: error.errors.map((e) => ({ field: e.field, message: e.message })) });
  }
  if (error instanceof IdempotencyConflictError) {
    return new ApiProblem(409, error.message, { type: 'idempotency-conflict', differing: error.differingFields, jobId: error.jobId });
  }
  if (error instanceof JobNotFoundError) return new ApiProblem(404, error.message, { jobId: error.jobId });
  if (error instanceof RerunNotAllowedError) return new ApiProblem(409, error.message, { type: 'rerun-not-allowed', jobId: error.jobId });
  if (error instanceof InvalidCancelError) return new ApiProblem(422, error.message, { type: 'invalid-cancel' });
  if (error instanceof CancelNotConfirmedError) {
    return new ApiProblem(503, error.message, { type: 'cancel-not-confirmed', jobId: error.jobId, requestId: error.requestId });
  }
  if (isResponseSerializationError(error)) {
    logger.error({ route: request.routeOptions.url, issues: error.cause.issues }, 'response does not match its schema');
    return new ApiProblem(500, 'the response did not match its schema (a bug in Shale; it is logged)');
  }
  const fastifyError = error as Partial<FastifyError> & { code?: string | number };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ApiProblem(fastifyError.statusCode, fastifyError.message ?? 'bad request');
  }
  if (isTemporalUnavailable(error)) return new ApiProblem(503, 'Temporal is not reachable; retry shortly');
  logger.error({ route: request.routeOptions.url, err: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) }, 'unexpected error');
  return new ApiProblem(500, 'an unexpected error (logged with the request); retry, and report it if it persists');
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4) from the Temporal connection. */
function isTemporalUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 14 || code === 4) return true;
  }
  return false;
}

export interface RunningApi {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startApi(options: ApiOptions & { host?: string; port?: number }): Promise<RunningApi> {
  const app = await buildApi(options);
  await app.listen({ host: options.host ?? options.config.host, port: options.port ?? options.config.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.config.tls ? 'https' : 'http'}://${host}:${address.port}`,
    app,
    close: () => app.close(),
  };
}
