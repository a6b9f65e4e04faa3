/** `shale worker --config shale.yaml`: runs a worker until SIGTERM/SIGINT, then drains gracefully. */
import { isUnavailableError, TemporalUnavailableError } from '../client/connectionConfig';
import { loadWorkerConfig } from './config';
import { createShaleWorker } from './createWorker';
import { installWorkerRuntime } from './runtime';

export async function runWorker(configPath: string | undefined): Promise<void> {
  const config = await loadWorkerConfig(configPath);
  installWorkerRuntime({ logLevel: config.worker.logLevel, prometheusBindAddress: config.metrics.prometheusBindAddress });
  const shale = await createShaleWorker(config).catch((err: unknown) => {
    // Name the address tried (and where it came from), as every Shale command does.
    if (isUnavailableError(err)) throw new TemporalUnavailableError(config.temporal.address, "the worker's config and environment", err);
    throw err;
  });
  // The Temporal SDK's Runtime handles SIGINT/SIGTERM: it stops polling, lets running tasks finish
  // within shutdownGraceSeconds, and worker.run() resolves.
  console.error(
    `shale worker: namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}, ` +
      `${config.clusters.length} static cluster(s)${config.emr.enabled ? ' + EMR discovery' : ''}, Temporal at ${config.temporal.address}` +
      (config.metrics.prometheusBindAddress ? `, metrics on http://${config.metrics.prometheusBindAddress}/metrics` : ''),
  );
  await shale.run();
  console.error('shale worker: stopped');
}
