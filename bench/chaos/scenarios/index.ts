/** Every chaos scenario, in the order the suite runs them. */
import type { ScenarioDefinition } from '../harness/runner';
import { cancelMatrix } from './cancelMatrix';
import { doubleCancel } from './doubleCancel';
import { endpointErrors } from './endpointErrors';
import { flakyLivy } from './flakyLivy';
import { forgottenBatch } from './forgottenBatch';
import { hostilePayloads } from './hostilePayloads';
import { hostileSpecs } from './hostileSpecs';
import { livyRestart } from './livyRestart';
import { secretsScan } from './secretsScan';
import { serverRestart } from './serverRestart';
import { shortOutage } from './shortOutage';
import { emrGoneLivyAnswers, unreachableAppRuns, unreachableFailover } from './unreachable';
import { workerKills } from './workerKills';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  workerKills,
  serverRestart,
  flakyLivy,
  livyRestart,
  unreachableAppRuns,
  unreachableFailover,
  emrGoneLivyAnswers,
  shortOutage,
  endpointErrors,
  forgottenBatch,
  doubleCancel,
  cancelMatrix,
  hostileSpecs,
  hostilePayloads,
  secretsScan,
];
