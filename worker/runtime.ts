/**
 * The worker process's Temporal Runtime: one JSON log line per entry (pino), for the SDK's own
 * messages and the workflow's lifecycle events, and the Prometheus endpoint that exports
 * Temporal's core metrics beside Shale's (workflows/jobMetrics.ts, Livy request metrics).
 */
import { pino, type Level, type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { LivyClientOptions } from '../activities/livy/client';

const PINO_LEVEL: Record<LogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

export interface RuntimeSettings {
  logLevel: LogLevel;
  /** e.g. 0.0.0.0:9464; metrics are served at /metrics. */
  prometheusBindAddress?: string;
  destination?: NodeJS.WritableStream;
}

let processLogger: Logger | undefined;

/**
 * The worker's own structured log (endpoint health, EMR discovery refusals): the Runtime's pino
 * logger once installed, else warnings and worse to stderr (tests that build workers directly).
 */
export function workerLogger(): Logger {
  processLogger ??= pino({ base: { service: 'shale-worker' }, level: 'warn' }, process.stderr);
  return processLogger;
}

export function installWorkerRuntime(settings: RuntimeSettings): void {
  const log = pino({ base: { service: 'shale-worker' }, level: PINO_LEVEL[settings.logLevel] }, settings.destination ?? process.stderr);
  processLogger = log;
  Runtime.install({
    logger: new DefaultLogger(settings.logLevel, (entry) => {
      const { sdkComponent, ...meta } = (entry.meta ?? {}) as Record<string, unknown>;
      log[PINO_LEVEL[entry.level]]({ ...meta, component: sdkComponent }, entry.message);
    }),
    ...(settings.prometheusBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: settings.prometheusBindAddress, countersTotalSuffix: true } } } }
      : {}),
  });
}

/** Livy request latency and errors per endpoint, recorded on the Runtime's metric meter. */
export function livyRequestMetrics(): NonNullable<LivyClientOptions['onRequest']> {
  const meter = Runtime.instance().metricMeter;
  const latency = meter.createHistogram('shale_livy_request_duration_ms', 'float', 'ms', 'Livy REST request latency');
  const errors = meter.createCounter('shale_livy_request_errors', 'requests', 'Livy requests that failed (no answer or 5xx)');
  return ({ endpoint, method, status, ms }) => {
    const tags = { endpoint, method, status: String(status) };
    latency.record(ms, tags);
    if (status === 'error' || status >= 500) errors.add(1, tags);
  };
}
