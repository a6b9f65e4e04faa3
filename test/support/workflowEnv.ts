/** Shared set-up for workflow tests: the time-skipping server, the bundled workflow, a worker with fakes. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type LogEntry, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { WORKFLOWS_PATH } from '../../worker/createWorker';
import type { ShaleActivities } from '../../contract';
import { registerSearchAttributes } from '../../client/registerSearchAttributes';

let runtimeInstalled = false;

/**
 * The outcomes workflow tests script and then assert on: a fake's ApplicationFailures ("Activity
 * failed"; a routing retry loop alone logs hundreds) and the workflow rejecting an invalid spec
 * ("Workflow failed"; the error reaches the logger as a plain Error).
 */
function isScriptedOutcome(entry: LogEntry): boolean {
  const error = entry.meta?.error;
  if (entry.message === 'Activity failed') return error instanceof ApplicationFailure;
  if (entry.message === 'Workflow failed') return error instanceof Error && error.message.startsWith('invalid job spec: ');
  return false;
}

function writeToStderr(entry: LogEntry): void {
  const meta =
    entry.meta === undefined
      ? ''
      : ` ${JSON.stringify(entry.meta, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Error ? `${v.name}: ${v.message}` : v))}`;
  process.stderr.write(`[${entry.level}] ${entry.message}${meta}\n`);
}

/**
 * Once per process: keep the SDK quiet unless something is wrong. With `hideScriptedFailures` (test
 * files on fakes), the failures the fakes were told to produce are not logged either.
 */
export function installQuietRuntime(options: { hideScriptedFailures?: boolean } = {}): void {
  if (runtimeInstalled) return;
  const logger = options.hideScriptedFailures
    ? new DefaultLogger('WARN', (entry) => {
        if (!isScriptedOutcome(entry)) writeToStderr(entry);
      })
    : new DefaultLogger('WARN');
  Runtime.install({ logger });
  runtimeInstalled = true;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
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
    activities,
    // Fakes advance the server's clock in steps; every heartbeat must reach it at once.
    maxHeartbeatThrottleInterval: 1,
  });
}
