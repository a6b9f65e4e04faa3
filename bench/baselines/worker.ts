/** A worker process for the baseline workflows: `node --import tsx bench/baselines/worker.ts <address> <taskQueue>`. */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { parseWorkerConfig } from '../../worker/config';
import { createNaiveActivities } from './activities';
import { BASELINE_WORKFLOWS_PATH } from './workflowsPath';

const [address, taskQueue] = process.argv.slice(2);
if (!address || !taskQueue) {
  console.error('usage: bench/baselines/worker.ts <address> <taskQueue>');
  process.exit(2);
}
Runtime.install({ logger: new DefaultLogger('WARN') });
const defaults = parseWorkerConfig({}).worker;
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: BASELINE_WORKFLOWS_PATH,
  activities: createNaiveActivities(),
  // The same slot, cache and poller settings as Shale's worker (its defaults).
  maxConcurrentActivityTaskExecutions: defaults.maxConcurrentActivities,
  maxCachedWorkflows: defaults.maxCachedWorkflows,
  maxConcurrentWorkflowTaskExecutions: defaults.maxConcurrentWorkflowTasks,
  maxConcurrentWorkflowTaskPolls: defaults.workflowTaskPollers,
  maxConcurrentActivityTaskPolls: defaults.activityTaskPollers,
});
console.error('baseline worker: polling');
await worker.run();
await connection.close();
