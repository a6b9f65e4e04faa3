/** Every chaos scenario, in the order the suite runs them. */
import type { ScenarioDefinition } from '../harness/runner';
import { flakyLivy } from './flakyLivy';

export const SCENARIOS: readonly ScenarioDefinition[] = [flakyLivy];
