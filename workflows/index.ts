// The workflow bundle's entry point: Temporal registers every function exported here.
export { sparkJob } from './sparkJob';
export { sweepBatch } from './sweepBatch';
export { readJobLog } from './batchLog';
