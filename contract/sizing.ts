/** Sizing presets: what a spec's `size` expands to (DESIGN.md "Clusters, routing, sizing"). */
export const SIZE_PRESETS = ['SMALL', 'DEFAULT', 'LARGE', 'EXTRA_LARGE'] as const;
export type SizePreset = (typeof SIZE_PRESETS)[number];

export interface SizeSettings {
  driverMemory: string;
  driverCores: number;
  executorMemory: string;
  executorCores: number;
  minExecutors: number;
  maxExecutors: number;
}

export const DEFAULT_SIZE_SETTINGS: Record<SizePreset, SizeSettings> = {
  SMALL: { driverMemory: '2g', driverCores: 1, executorMemory: '4g', executorCores: 2, minExecutors: 1, maxExecutors: 10 },
  DEFAULT: { driverMemory: '4g', driverCores: 2, executorMemory: '8g', executorCores: 4, minExecutors: 2, maxExecutors: 50 },
  LARGE: { driverMemory: '8g', driverCores: 4, executorMemory: '16g', executorCores: 4, minExecutors: 4, maxExecutors: 200 },
  EXTRA_LARGE: { driverMemory: '16g', driverCores: 4, executorMemory: '32g', executorCores: 8, minExecutors: 10, maxExecutors: 500 },
};
