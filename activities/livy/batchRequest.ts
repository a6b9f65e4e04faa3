/** Maps a job spec and an attempt name to Livy's POST /batches body (only the fields Livy knows). */
import type { JobSpec, SizePreset, SizeSettings } from '../../contract';
import type { LivyBatchRequest } from './types';

export interface BatchRequestSettings {
  sizes: Record<SizePreset, SizeSettings>;
  /** Where the platform uploaded Shale's SQL runner (activities/livy/sql_runner.py). */
  sqlRunnerUri: string;
}

export function buildBatchRequest(spec: JobSpec, batchName: string, settings: BatchRequestSettings): LivyBatchRequest {
  const size = settings.sizes[spec.size];
  const conf: Record<string, string> = {
    'spark.dynamicAllocation.enabled': 'true',
    'spark.dynamicAllocation.minExecutors': String(size.minExecutors),
    'spark.dynamicAllocation.maxExecutors': String(size.maxExecutors),
    ...spec.conf,
    // The attempt name doubles as YARN tag and app name, so the app can be found after Livy forgets it.
    'spark.yarn.tags': `${batchName},shale`,
    'spark.app.name': batchName,
  };
  const request: LivyBatchRequest = {
    name: batchName,
    file: '',
    driverMemory: size.driverMemory,
    driverCores: size.driverCores,
    executorMemory: size.executorMemory,
    executorCores: size.executorCores,
    conf,
  };
  switch (spec.kind) {
    case 'pyspark':
      request.file = spec.file;
      setList(request, 'pyFiles', spec.pyFiles);
      setList(request, 'args', spec.args);
      break;
    case 'jar':
      request.file = spec.file;
      request.className = spec.className;
      setList(request, 'jars', spec.jars);
      setList(request, 'args', spec.args);
      break;
    case 'sql':
      request.file = settings.sqlRunnerUri;
      request.args = [spec.sql];
      break;
  }
  setList(request, 'files', spec.files);
  setList(request, 'archives', spec.archives);
  if (spec.queue) request.queue = spec.queue;
  if (spec.proxyUser) request.proxyUser = spec.proxyUser;
  return request;
}

function setList(request: LivyBatchRequest, key: 'pyFiles' | 'args' | 'jars' | 'files' | 'archives', values: string[]): void {
  if (values.length > 0) request[key] = values;
}
