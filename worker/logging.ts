/**
 * The worker's log: one JSON line per entry (pino), for the SDK's own messages and for the
 * workflow's lifecycle events (job.accepted, attempt.routed, batch.state, job.state, ...).
 */
import { pino, type Level } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const PINO_LEVEL: Record<LogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

export function installWorkerLogging(level: LogLevel = 'INFO', destination: NodeJS.WritableStream = process.stderr): void {
  const log = pino({ base: { service: 'shale-worker' }, level: PINO_LEVEL[level] }, destination);
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const { sdkComponent, ...meta } = (entry.meta ?? {}) as Record<string, unknown>;
      log[PINO_LEVEL[entry.level]]({ ...meta, component: sdkComponent }, entry.message);
    }),
  });
}
