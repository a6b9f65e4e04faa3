/** `shale worker --config shale.yaml`: runs a worker until SIGTERM/SIGINT, then drains gracefully. */
import { loadWorkerConfig } from './config';
import { createShaleWorker } from './createWorker';
import { installWorkerLogging } from './logging';

export async function runWorker(configPath: string | undefined): Promise<void> {
  const config = await loadWorkerConfig(configPath);
  installWorkerLogging(config.worker.logLevel);
  const shale = await createShaleWorker(config);
  // The Temporal SDK's Runtime handles SIGINT/SIGTERM: it stops polling, lets running tasks finish
  // within shutdownGraceSeconds, and worker.run() resolves.
  console.error(
    `shale worker: namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}, ` +
      `${config.clusters.length} static cluster(s), Temporal at ${config.temporal.address}`,
  );
  await shale.run();
  console.error('shale worker: stopped');
}
