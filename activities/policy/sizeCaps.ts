/**
 * Sizing caps: what a job's conf may change about the containers YARN gives it, counted the way
 * Spark sizes them on YARN, so no memory key (old names included) gets around a team's cap.
 *
 * A container's memory, in MiB (Spark 3 on YARN):
 *   executor = spark.executor.memory
 *            + overhead (spark.executor.memoryOverhead, or its old name spark.yarn.executor.memoryOverhead;
 *              if neither, max(spark.executor.minMemoryOverhead or 384, memoryOverheadFactor (0.10) × heap))
 *            + spark.memory.offHeap.size + spark.executor.pyspark.memory
 *   driver   = spark.driver.memory + its overhead, the same way (spark.driver.*, spark.yarn.driver.memoryOverhead)
 *   YARN AM  = spark.yarn.am.memory (512m) + spark.yarn.am.memoryOverhead (client mode only, counted anyway)
 * A value missing from conf is the job's preset's. Where both a key and its old name are set, the
 * larger counts. The cap is the team's maxSize preset counted the same way with default overheads:
 * LARGE allows executors of 16384 + 1638 = 18022 MiB and drivers of 8192 + 819 = 9011 MiB.
 * Any other memory-looking key (ending in memory, memoryOverhead, memoryOverheadFactor or
 * offHeap.size) may not exceed the executor cap on its own. Cores are capped by the preset's cores,
 * executor counts by its maxExecutors; GPU and other resource amounts have no preset to cap them.
 */
import type { JobSpec, SizeSettings } from '../../contract';
import { sparkFactor, sparkInteger, sparkMebibytes } from './sparkMemory';

export interface SizeCapContext {
  spec: JobSpec;
  /** The job's own preset: what a key missing from conf is. */
  preset: SizeSettings;
  /** The team's largest preset. */
  cap: SizeSettings;
  /** Where the cap is configured, e.g. "teams.etl.maxSize LARGE". */
  capPath: string;
}

export interface SizeRefusal {
  field: string;
  message: string;
}

const DEFAULT_OVERHEAD_FACTOR = 0.1;
const MIN_OVERHEAD_MIB = 384;
const DEFAULT_AM_MEMORY = '512m';

const EXECUTOR_COUNT_KEYS = [
  'spark.executor.instances',
  'spark.dynamicAllocation.minExecutors',
  'spark.dynamicAllocation.maxExecutors',
  'spark.dynamicAllocation.initialExecutors',
];
const CORE_KEYS: Record<string, 'executorCores' | 'driverCores'> = {
  'spark.executor.cores': 'executorCores',
  'spark.driver.cores': 'driverCores',
  'spark.yarn.am.cores': 'driverCores',
};
const RESOURCE_KEY = /^spark\.(executor|driver|task)\.resource\./i;
const MEMORY_KEY = /(memory|memoryoverhead|memoryoverheadfactor|offheap\.size)$/i;

/** Keys the arithmetic above counts, by container. */
const EXECUTOR_MEMORY_KEYS = [
  'spark.executor.memory',
  'spark.executor.memoryOverhead',
  'spark.yarn.executor.memoryOverhead',
  'spark.executor.memoryOverheadFactor',
  'spark.executor.minMemoryOverhead',
  'spark.memory.offHeap.size',
  'spark.executor.pyspark.memory',
];
const DRIVER_MEMORY_KEYS = [
  'spark.driver.memory',
  'spark.driver.memoryOverhead',
  'spark.yarn.driver.memoryOverhead',
  'spark.driver.memoryOverheadFactor',
  'spark.driver.minMemoryOverhead',
];
const AM_MEMORY_KEYS = ['spark.yarn.am.memory', 'spark.yarn.am.memoryOverhead'];
const COUNTED_MEMORY_KEYS = new Set([...EXECUTOR_MEMORY_KEYS, ...DRIVER_MEMORY_KEYS, ...AM_MEMORY_KEYS]);

/** Conf keys that change sizing: refused outright unless the team may override sizing. */
export function isSizingKey(key: string): boolean {
  return EXECUTOR_COUNT_KEYS.includes(key) || key in CORE_KEYS || RESOURCE_KEY.test(key) || MEMORY_KEY.test(key) || COUNTED_MEMORY_KEYS.has(key);
}

/** Conf values echoed in messages are short: enough to recognize, never a wall of text. */
function shown(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

/** Refusals for a team allowed to override sizing: every container must still fit its cap. */
export function sizeCapRefusals(context: SizeCapContext): SizeRefusal[] {
  const { spec, cap, capPath } = context;
  const conf = spec.conf;
  const refusals: SizeRefusal[] = [];
  const refuse = (key: string, message: string) => refusals.push({ field: `conf.${key}`, message });
  const unreadable = new Set<string>();
  /** MiB of a memory key, or undefined when unset; an unreadable value is refused (Spark would refuse it too). */
  const mib = (key: string, unit: 'b' | 'm'): number | undefined => {
    const value = conf[key];
    if (value === undefined) return undefined;
    const parsed = sparkMebibytes(value, unit);
    if (parsed === undefined && !unreadable.has(key)) {
      unreadable.add(key);
      refuse(key, `conf ${key}=${shown(value)} is not a memory size Spark reads (e.g. 4g, 4096m); it counts against the cap (${capPath})`);
    }
    return parsed;
  };
  const factor = (key: string): number => {
    const value = conf[key];
    if (value === undefined) return DEFAULT_OVERHEAD_FACTOR;
    const parsed = sparkFactor(value);
    if (parsed === undefined) {
      unreadable.add(key);
      refuse(key, `conf ${key}=${shown(value)} is not a number; it counts against the cap (${capPath})`);
      return DEFAULT_OVERHEAD_FACTOR;
    }
    return parsed;
  };
  const presetMib = (size: string) => sparkMebibytes(size, 'm') ?? 0;
  const overhead = (heap: number, explicit: Array<number | undefined>, overheadFactor: number, minimum: number | undefined) => {
    const set = explicit.filter((v): v is number => v !== undefined);
    return set.length > 0 ? Math.max(...set) : Math.max(minimum ?? MIN_OVERHEAD_MIB, Math.floor(overheadFactor * heap));
  };
  const capOf = (heap: number) => heap + Math.max(MIN_OVERHEAD_MIB, Math.floor(DEFAULT_OVERHEAD_FACTOR * heap));

  const checkContainer = (name: string, keys: string[], parts: Array<[string, number]>, limit: number) => {
    const setKeys = keys.filter((k) => conf[k] !== undefined && !unreadable.has(k));
    if (setKeys.length === 0) return;
    const total = parts.reduce((sum, [, v]) => sum + v, 0);
    if (total <= limit) return;
    refusals.push({
      field: `conf.${setKeys[0]}`,
      message:
        `conf ${setKeys.join(', ')} make${setKeys.length === 1 ? 's' : ''} each ${name} ${total} MiB ` +
        `(${parts.map(([label, v]) => `${label} ${v}`).join(' + ')}), over team ${spec.team}'s cap of ${limit} MiB per ${name} (${capPath})`,
    });
  };

  const executorHeap = mib('spark.executor.memory', 'm') ?? presetMib(context.preset.executorMemory);
  checkContainer(
    'executor',
    EXECUTOR_MEMORY_KEYS,
    [
      ['heap', executorHeap],
      [
        'overhead',
        overhead(
          executorHeap,
          [mib('spark.executor.memoryOverhead', 'm'), mib('spark.yarn.executor.memoryOverhead', 'm')],
          factor('spark.executor.memoryOverheadFactor'),
          mib('spark.executor.minMemoryOverhead', 'm'),
        ),
      ],
      ['off-heap', mib('spark.memory.offHeap.size', 'b') ?? 0],
      ['PySpark', mib('spark.executor.pyspark.memory', 'm') ?? 0],
    ],
    capOf(presetMib(cap.executorMemory)),
  );

  const driverHeap = mib('spark.driver.memory', 'm') ?? presetMib(context.preset.driverMemory);
  checkContainer(
    'driver',
    DRIVER_MEMORY_KEYS,
    [
      ['heap', driverHeap],
      [
        'overhead',
        overhead(
          driverHeap,
          [mib('spark.driver.memoryOverhead', 'm'), mib('spark.yarn.driver.memoryOverhead', 'm')],
          factor('spark.driver.memoryOverheadFactor'),
          mib('spark.driver.minMemoryOverhead', 'm'),
        ),
      ],
    ],
    capOf(presetMib(cap.driverMemory)),
  );

  const amHeap = mib('spark.yarn.am.memory', 'm') ?? presetMib(DEFAULT_AM_MEMORY);
  checkContainer(
    'YARN application master',
    AM_MEMORY_KEYS,
    [
      ['heap', amHeap],
      ['overhead', overhead(amHeap, [mib('spark.yarn.am.memoryOverhead', 'm')], DEFAULT_OVERHEAD_FACTOR, undefined)],
    ],
    capOf(presetMib(cap.driverMemory)),
  );

  const executorCap = capOf(presetMib(cap.executorMemory));
  for (const key of Object.keys(conf)) {
    if (COUNTED_MEMORY_KEYS.has(key) || !MEMORY_KEY.test(key)) continue;
    const value = mib(key, 'm');
    if (value !== undefined && value > executorCap) {
      refuse(key, `conf ${key}=${shown(conf[key]!)} is over team ${spec.team}'s cap of ${executorCap} MiB per executor (${capPath})`);
    }
  }

  for (const [key, setting] of Object.entries(CORE_KEYS)) {
    const value = conf[key];
    if (value === undefined) continue;
    const cores = sparkInteger(value);
    if (cores === undefined || cores > cap[setting]) {
      refuse(key, `conf ${key}=${shown(value)} is over team ${spec.team}'s cap of ${cap[setting]} cores (${capPath})`);
    }
  }

  for (const key of EXECUTOR_COUNT_KEYS) {
    const value = conf[key];
    if (value === undefined) continue;
    const count = sparkInteger(value);
    if (count === undefined || count > cap.maxExecutors) {
      refuse(key, `conf ${key}=${shown(value)} is over team ${spec.team}'s cap of ${cap.maxExecutors} executors (${capPath})`);
    }
  }
  return refusals;
}
