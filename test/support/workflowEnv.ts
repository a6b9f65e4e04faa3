/** Shared set-up for workflow tests: the time-skipping server, the bundled workflow, a worker with fakes. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { WORKFLOWS_PATH } from '../../worker/createWorker';
import type { ShaleActivities } from '../../contract';
import { registerSearchAttributes } from '../../client/registerSearchAttributes';

let runtimeInstalled = false;

/** Once per process: keep the SDK quiet unless something is wrong. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
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
