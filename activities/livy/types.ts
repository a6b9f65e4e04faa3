/** Livy's batch objects and requests, as the REST API speaks them (LIVY.md). */
export interface LivyBatch {
  id: number;
  name: string | null;
  owner?: string | null;
  proxyUser?: string | null;
  state: string;
  appId: string | null;
  appInfo?: { driverLogUrl?: string | null; sparkUiUrl?: string | null; executorLogUrls?: unknown } | null;
  log?: string[];
}

export interface LivyBatchList {
  from: number;
  total: number;
  sessions: LivyBatch[];
}

export interface LivyLog {
  id: number;
  from: number;
  total: number;
  log: string[];
}

/** Only the fields Livy accepts: it rejects unknown ones. */
export interface LivyBatchRequest {
  file: string;
  name: string;
  proxyUser?: string;
  className?: string;
  args?: string[];
  jars?: string[];
  pyFiles?: string[];
  files?: string[];
  archives?: string[];
  driverMemory?: string;
  driverCores?: number;
  executorMemory?: string;
  executorCores?: number;
  numExecutors?: number;
  queue?: string;
  conf?: Record<string, string>;
}
