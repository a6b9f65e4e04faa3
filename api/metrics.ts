/** The API's Prometheus metrics, on a registry of its own (one per API instance, so tests can run several). */
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  requests: Histogram<'method' | 'route' | 'status'>;
  submits: Counter<'outcome'>;
  denials: Counter<'reason'>;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shale_api_' });
  return {
    registry,
    requests: new Histogram({
      name: 'shale_api_request_duration_seconds',
      help: 'HTTP requests by route template, method and status, and how long they took',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    submits: new Counter({
      name: 'shale_api_submits_total',
      help: 'Submits by outcome: created, rerun, existing, conflict, invalid, forbidden',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    denials: new Counter({
      name: 'shale_api_denials_total',
      help: 'Requests refused before they changed anything: unauthenticated, forbidden (role or team), not-visible (another team\'s job), rate-limited',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

/** One finished request, as it is counted and logged (never its headers: no token in logs). */
export interface FinishedRequest {
  method: string;
  route: string;
  url: string;
  status: number;
  ms: number;
  principal?: string;
}

/** What every request leaves behind: its observation in the metrics and one log line. */
export function recordRequest(metrics: ApiMetrics, logger: Logger, request: FinishedRequest): void {
  metrics.requests.observe({ method: request.method, route: request.route, status: String(request.status) }, request.ms / 1000);
  logger.info({ ...request, url: request.url.split('?')[0] }, 'request');
}
