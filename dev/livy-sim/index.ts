/** Programmatic API of the Livy simulator. */
export { startLivySimulator, DEFAULTS as LIVY_SIMULATOR_DEFAULTS } from './simulator.js';
export type {
  BatchState,
  BatchView,
  Faults,
  LivySimulator,
  LivyVersion,
  LivySimulatorOptions,
  RequestLogEntry,
  RequestLogFilter,
} from './types.js';
export { CONF_KEYS as SIM_CONF_KEYS, attemptOf } from './behaviour.js';
export { DEAD_DIAGNOSTICS } from './batches.js';
export { LOG_SECTION_LINES, livyLogEntries, STDERR_MARKER, STDOUT_MARKER } from './logBuffer.js';
export { RM_APPS_PREFIX } from './resourceManagerApi.js';
export { SIMULATED_FAILURE } from './faults.js';
