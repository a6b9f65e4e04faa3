/** The routes that need no token: liveness, readiness, the OpenAPI document; and /metrics (a token if the config says so). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiContext } from '../server';
import { healthSchema } from '../schemas';

/** How long readiness waits for Temporal before saying it is not ready. */
const READY_DEADLINE_MS = 2_000;

export function registerServiceRoutes(app: FastifyInstance, { client, metrics }: ApiContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/healthz', { schema: { summary: 'The process is up', tags: ['service'], response: { 200: healthSchema } } }, async () => ({ status: 'ok' as const }));

  routes.get(
    '/readyz',
    { schema: { summary: 'Temporal answers (a cheap call with a short deadline)', tags: ['service'], response: { 200: healthSchema, 503: healthSchema } } },
    async (_request, reply) => {
      try {
        await client.temporal.withDeadline(Date.now() + READY_DEADLINE_MS, () =>
          client.temporal.workflowService.describeNamespace({ namespace: client.temporal.options.namespace }),
        );
        return { status: 'ok' as const };
      } catch (err) {
        return reply.code(503).send({ status: 'unavailable' as const, detail: `Temporal did not answer within ${READY_DEADLINE_MS} ms: ${(err as Error).message}` });
      }
    },
  );

  routes.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: requests by route, status and latency; submits by outcome; denials by reason',
        tags: ['service'],
        // Prometheus's text format, sent as is (a response schema would serialize it as JSON).
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  routes.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
