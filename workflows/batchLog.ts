/**
 * readJobLog: reads one page of a batch's Livy log through a worker, for `shale logs`. The
 * operator's machine starts this tiny workflow and gets the lines back; Livy's address and
 * credential stay in the worker. One activity, no state, deterministic.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { NON_RETRYABLE_ACTIVITY_ERRORS } from '../contract/errors';

export interface ReadJobLogInput {
  cluster: string;
  /** The attempt's name `J-aN`. */
  batchName: string;
  /** Livy's entry index to start from (default: the last `size` entries, or the whole log without a size). */
  from?: number;
  /** Entries to read (default: the whole log Livy keeps). */
  size?: number;
}

/** activities/logActivities.ts answers this shape. */
export interface JobLogRead {
  found: boolean;
  from: number;
  total: number;
  sections: Array<{ name?: string; lines: string[] }>;
  lines: string[];
}

interface LogActivities {
  readBatchLog(input: ReadJobLogInput): Promise<JobLogRead>;
}

const INVALID_INPUT = 'InvalidInput';
/** Shale's attempt names only (`<job id>-a<N>`): this reads Shale's batches, nobody else's. */
const ATTEMPT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,98}-a[1-9][0-9]{0,3}$/;
const CLUSTER_ID = /^[\x21-\x7e]{1,200}$/;
const MAX_ENTRIES = 1_000;

const { readBatchLog } = proxyActivities<LogActivities>({
  summary: "read the batch's Livy log in the worker",
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ACTIVITY_ERRORS, 'UnknownCluster'] },
});

export async function readJobLog(input: unknown): Promise<JobLogRead> {
  return readBatchLog(checkedInput(input));
}

function invalid(message: string): never {
  throw ApplicationFailure.create({ type: INVALID_INPUT, message: `readJobLog: ${message}`, nonRetryable: true });
}

function wholeNumber(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) invalid(`${field} must be a whole number from ${min} to ${max}`);
  return value;
}

function checkedInput(input: unknown): ReadJobLogInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) invalid('input must be { cluster, batchName, from?, size? }');
  const { cluster, batchName, from, size, ...rest } = input as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) invalid(`unknown field ${unknown[0]}`);
  if (typeof cluster !== 'string' || !CLUSTER_ID.test(cluster)) invalid('cluster must be a cluster id');
  if (typeof batchName !== 'string' || !ATTEMPT_NAME.test(batchName)) invalid("batchName must be a Shale attempt name like '<job id>-a1'");
  const checked: ReadJobLogInput = { cluster, batchName };
  const fromIndex = wholeNumber(from, 'from', 0, 1_000_000);
  const pageSize = wholeNumber(size, 'size', 1, MAX_ENTRIES);
  if (fromIndex !== undefined) checked.from = fromIndex;
  if (pageSize !== undefined) checked.size = pageSize;
  return checked;
}
