/**
 * Per-team caps on sizing: the largest preset a team may ask for, and whether (and how far) its
 * spec may override the preset through Spark conf. A refusal names the cap it hit.
 */
import { SIZE_PRESETS, type JobSpec, type SizePreset, type SizeSettings } from '../contract';

export interface TeamSizePolicy {
  maxSize?: SizePreset;
  /** Conf keys that change sizing are refused unless this is true. */
  allowSizeOverrides?: boolean;
}

const SIZING_CONF_KEYS = [
  'spark.driver.memory',
  'spark.driver.cores',
  'spark.executor.memory',
  'spark.executor.memoryOverhead',
  'spark.executor.memoryOverheadFactor',
  'spark.driver.memoryOverhead',
  'spark.executor.cores',
  'spark.executor.instances',
  'spark.dynamicAllocation.minExecutors',
  'spark.dynamicAllocation.maxExecutors',
  'spark.dynamicAllocation.initialExecutors',
];

export function sizePolicyViolation(
  spec: JobSpec,
  teams: Record<string, TeamSizePolicy>,
  sizes: Record<SizePreset, SizeSettings>,
): string | undefined {
  const policy = teams[spec.team] ?? teams['*'];
  if (!policy) return undefined;
  const where = teams[spec.team] ? `teams.${spec.team}` : 'teams.*';
  if (policy.maxSize && SIZE_PRESETS.indexOf(spec.size) > SIZE_PRESETS.indexOf(policy.maxSize)) {
    return `size ${spec.size} is over team ${spec.team}'s cap ${policy.maxSize} (${where}.maxSize)`;
  }
  const overrides = SIZING_CONF_KEYS.filter((key) => key in spec.conf);
  if (overrides.length === 0) return undefined;
  if (!policy.allowSizeOverrides) {
    return `conf ${overrides.join(', ')} overrides sizing, which team ${spec.team} may not do (${where}.allowSizeOverrides)`;
  }
  const cap = sizes[policy.maxSize ?? 'EXTRA_LARGE'].maxExecutors;
  for (const key of ['spark.dynamicAllocation.maxExecutors', 'spark.dynamicAllocation.initialExecutors', 'spark.executor.instances']) {
    const value = spec.conf[key];
    if (value !== undefined && !(Number(value) <= cap)) {
      return `conf ${key}=${value} is over team ${spec.team}'s cap of ${cap} executors (${where}.maxSize ${policy.maxSize ?? 'EXTRA_LARGE'})`;
    }
  }
  return undefined;
}
