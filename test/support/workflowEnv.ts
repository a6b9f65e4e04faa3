/** Shared set-up for workflow tests: the time-skipping server, the bundled workflow, a worker with fakes. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, LogTimestamp, Runtime, Worker, type LogEntry, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { bundleShaleWorkflows } from '../../worker/bundleWorkflows';
import type { ShaleActivities } from '../../contract';
import { registerSearchAttributes } from '../../client/registerSearchAttributes';
import { createRunActivities } from '../../activities/runActivities';

let runtimeInstalled = false;

/**
 * The outcomes workflow tests script and then assert on: a fake's ApplicationFailures ("Activity
 * failed"; a routing retry loop alone logs hundreds) and the workflow rejecting an invalid spec
 * and every job that ends FAILED or TIMED_OUT, which fails its workflow ("Workflow failed"; the
 * error reaches the logger as a plain Error).
 */
function isScriptedOutcome(entry: LogEntry): boolean {
  // The time-skipping test server does not advertise this capability; every worker says so, once per activity failure.
  if (entry.message.startsWith('Temporal Server 1.16.0 or newer is required')) return true;
  // The hostile-payload tests send these on purpose; the workflow logs each one it ignores.
  if (entry.message === 'cancel signal ignored: bad payload') return true;
  const error = entry.meta?.error;
  if (entry.message === 'Activity failed') return error instanceof ApplicationFailure;
  // A job that ends FAILED or TIMED_OUT fails its workflow (JobFailed/JobTimedOut): scripted too.
  if (entry.message === 'Workflow failed') return error instanceof Error;
  return false;
}

function writeToStderr(entry: LogEntry): void {
  const meta =
    entry.meta === undefined
      ? ''
      : ` ${JSON.stringify(entry.meta, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Error ? `${v.name}: ${v.message}` : v))}`;
  process.stderr.write(`[${entry.level}] ${entry.message}${meta}\n`);
}

type LogSink = (entry: LogEntry) => void;
const logSinks = new Set<LogSink>();

/**
 * Hands every Runtime log entry, at every level (the SDK's own, the workflows' lifecycle lines, the
 * activities', and Core's forwarded ones), to `sink` until the returned function is called. The
 * Runtime (and so its logger) is installed once per process; this is how a test file listens to it.
 */
export function captureRuntimeLogs(sink: LogSink): () => void {
  logSinks.add(sink);
  return () => logSinks.delete(sink);
}

/**
 * Once per process: keep the SDK quiet unless something is wrong (WARN and above reach stderr). With
 * `hideScriptedFailures` (test files on fakes), the failures the fakes were told to produce are not
 * logged either. Every entry, at any level, also goes to the sinks of `captureRuntimeLogs`.
 */
export function installQuietRuntime(options: { hideScriptedFailures?: boolean } = {}): void {
  if (runtimeInstalled) return;
  const quiet = options.hideScriptedFailures
    ? new DefaultLogger('WARN', (entry) => {
        if (!isScriptedOutcome(entry)) writeToStderr(entry);
      })
    : new DefaultLogger('WARN');
  const logger = new DefaultLogger('TRACE', (entry) => {
    for (const sink of logSinks) sink(entry);
    quiet.log(entry.level, entry.message, { ...entry.meta, [LogTimestamp]: entry.timestampNanos });
  });
  // Core's own log lines are forwarded to the logger too (at the default filter), so captures see them.
  Runtime.install({ logger, telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } } });
  runtimeInstalled = true;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleShaleWorkflows();
  return bundle;
}

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime({ hideScriptedFailures: true });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('tools').temporalTestServer } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

let queueCounter = 0;
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${queueCounter++}`;
}

export async function fakeWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: ShaleActivities): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    // The run activities are the real ones: they talk to the test server like a worker's do.
    activities: { ...activities, ...createRunActivities() },
    // Fakes advance the server's clock in steps; every heartbeat must reach it at once.
    maxHeartbeatThrottleInterval: 1,
  });
}
