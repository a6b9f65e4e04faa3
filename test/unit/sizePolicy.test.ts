import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, parseJobSpec, type JobSpec, type SizePreset, type SizeSettings } from '../../contract';
import { policyViolation, type TeamPolicy } from '../../activities/policy/teamPolicy';

function spec(team: string, size: SizePreset, conf: Record<string, string> = {}): JobSpec {
  const result = parseJobSpec({ name: 'job', team, kind: 'pyspark', file: 's3://b/main.py', size, conf });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

const check = (s: JobSpec, teams: Record<string, TeamPolicy>, sizes: Record<SizePreset, SizeSettings> = DEFAULT_SIZE_SETTINGS) =>
  policyViolation(s, teams, sizes);

const SIZING_KEYS: Record<string, string> = {
  'spark.driver.memory': '64g',
  'spark.driver.cores': '16',
  'spark.executor.memory': '64g',
  'spark.executor.cores': '16',
  'spark.executor.instances': '20',
  'spark.dynamicAllocation.minExecutors': '20',
  'spark.dynamicAllocation.maxExecutors': '20',
};

/** Every key that changes how much memory a container gets, old names included (issue 9, item 9). */
const MEMORY_KEYS: Record<string, string> = {
  'spark.executor.memory': '64g',
  'spark.driver.memory': '64g',
  'spark.executor.memoryOverhead': '64g',
  'spark.yarn.executor.memoryOverhead': '65536',
  'spark.driver.memoryOverhead': '64g',
  'spark.yarn.driver.memoryOverhead': '65536',
  'spark.executor.memoryOverheadFactor': '4.0',
  'spark.driver.memoryOverheadFactor': '4.0',
  'spark.executor.minMemoryOverhead': '64g',
  'spark.memory.offHeap.size': '64g',
  'spark.executor.pyspark.memory': '64g',
  'spark.yarn.am.memory': '64g',
  'spark.yarn.am.memoryOverhead': '64g',
  'spark.python.worker.memory': '64g',
  'spark.kubernetes.memoryOverheadFactor': '4.0',
};

describe('size caps', () => {
  it('without any policy, refuses sizing overrides but caps no preset', () => {
    expect(check(spec('etl', 'EXTRA_LARGE'), {})).toBeUndefined();
    expect(check(spec('etl', 'EXTRA_LARGE', { 'spark.executor.cores': '8' }), {})).toBe(
      'conf spark.executor.cores overrides sizing, which team etl may not do (teams.*.allowSizeOverrides)',
    );
    // policies for other teams, and no '*', leave this team on the defaults
    expect(check(spec('etl', 'EXTRA_LARGE'), { analytics: { maxSize: 'SMALL' } })).toBeUndefined();
  });

  describe('maxSize', () => {
    const teams: Record<string, TeamPolicy> = { etl: { maxSize: 'DEFAULT' } };

    it('allows sizes up to and including the cap', () => {
      expect(check(spec('etl', 'SMALL'), teams)).toBeUndefined();
      expect(check(spec('etl', 'DEFAULT'), teams)).toBeUndefined();
    });

    it('refuses a larger size, naming the size, the cap and the config path', () => {
      for (const size of ['LARGE', 'EXTRA_LARGE'] as const) {
        expect(check(spec('etl', size), teams)).toBe(`size ${size} is over team etl's cap DEFAULT (teams.etl.maxSize)`);
      }
    });

    it('a SMALL cap refuses everything bigger', () => {
      const small = { etl: { maxSize: 'SMALL' as const } };
      expect(check(spec('etl', 'SMALL'), small)).toBeUndefined();
      for (const size of ['DEFAULT', 'LARGE', 'EXTRA_LARGE'] as const) expect(check(spec('etl', size), small)).toMatch(/cap SMALL \(teams\.etl\.maxSize\)/);
    });
  });

  describe("the '*' policy", () => {
    it('applies to teams not listed, and the message says so', () => {
      const teams: Record<string, TeamPolicy> = { '*': { maxSize: 'SMALL' } };
      expect(check(spec('newcomers', 'SMALL'), teams)).toBeUndefined();
      expect(check(spec('newcomers', 'DEFAULT'), teams)).toBe("size DEFAULT is over team newcomers's cap SMALL (teams.*.maxSize)");
    });

    it("does not apply to a listed team: the team's own policy wins", () => {
      const teams: Record<string, TeamPolicy> = { '*': { maxSize: 'SMALL' }, etl: { maxSize: 'EXTRA_LARGE' }, ml: {} };
      expect(check(spec('etl', 'EXTRA_LARGE'), teams)).toBeUndefined();
      expect(check(spec('ml', 'EXTRA_LARGE'), teams)).toBeUndefined();
      expect(check(spec('other', 'LARGE'), teams)).toMatch(/teams\.\*\.maxSize/);
    });
  });

  describe('sizing conf overrides', () => {
    it('are refused unless allowSizeOverrides, naming the key and the config path', () => {
      const teams: Record<string, TeamPolicy> = { etl: { maxSize: 'LARGE' }, '*': {} };
      for (const [key, value] of Object.entries(SIZING_KEYS)) {
        expect(check(spec('etl', 'DEFAULT', { [key]: value }), teams)).toBe(
          `conf ${key} overrides sizing, which team etl may not do (teams.etl.allowSizeOverrides)`,
        );
      }
      // an empty '*' policy still refuses overrides
      expect(check(spec('other', 'DEFAULT', { 'spark.executor.cores': '8' }), teams)).toMatch(/team other may not .*\(teams\.\*\.allowSizeOverrides\)/);
      // allowSizeOverrides: false says the same
      expect(check(spec('etl', 'DEFAULT', { 'spark.executor.cores': '8' }), { etl: { allowSizeOverrides: false } })).toMatch(/may not do/);
    });

    it('counts every memory key, old names included, as a sizing override (a SMALL team could raise its memory through them)', () => {
      const teams: Record<string, TeamPolicy> = { etl: { maxSize: 'SMALL', allowSizeOverrides: false } };
      for (const [key, value] of Object.entries(MEMORY_KEYS)) {
        expect(check(spec('etl', 'SMALL', { [key]: value }), teams), key).toBe(
          `conf ${key} overrides sizing, which team etl may not do (teams.etl.allowSizeOverrides)`,
        );
      }
    });

    it('counts GPU and other resource amounts as sizing overrides', () => {
      expect(check(spec('etl', 'SMALL', { 'spark.executor.resource.gpu.amount': '8' }), { etl: {} })).toMatch(/overrides sizing/);
    });

    it('lists every offending key', () => {
      const message = check(spec('etl', 'DEFAULT', { 'spark.driver.memory': '8g', 'spark.executor.memory': '8g', 'spark.sql.shuffle.partitions': '10' }), { etl: {} });
      expect(message).toMatch(/^conf spark\.driver\.memory, spark\.executor\.memory overrides sizing/);
      expect(message).not.toMatch(/shuffle/);
    });

    it('leaves conf that does not touch sizing alone', () => {
      const conf = {
        'spark.sql.shuffle.partitions': '400',
        'spark.dynamicAllocation.enabled': 'true',
        'spark.memory.fraction': '0.7',
        'spark.memory.offHeap.enabled': 'false',
        'spark.storage.memoryMapThreshold': '2m',
        'spark.sql.inMemoryColumnarStorage.batchSize': '20000',
      };
      expect(check(spec('etl', 'DEFAULT', conf), { etl: { maxSize: 'DEFAULT' } })).toBeUndefined();
    });

    it('checks the size cap before the conf', () => {
      expect(check(spec('etl', 'LARGE', { 'spark.executor.memory': '8g' }), { etl: { maxSize: 'SMALL' } })).toMatch(/^size LARGE is over/);
    });

    describe('when allowed', () => {
      const teams: Record<string, TeamPolicy> = { etl: { maxSize: 'LARGE', allowSizeOverrides: true } };
      const cap = DEFAULT_SIZE_SETTINGS.LARGE.maxExecutors;
      // LARGE: executors of 16g heap + max(384m, 10%) overhead, drivers of 8g + 10%
      const executorCap = 16384 + 1638;
      const driverCap = 8192 + 819;

      it('pass up to the max preset’s executors, cores and containers', () => {
        const withinCap = {
          'spark.executor.instances': String(cap),
          'spark.dynamicAllocation.maxExecutors': String(cap),
          'spark.executor.cores': '4',
          'spark.driver.cores': '4',
          'spark.executor.memory': '16g',
          'spark.driver.memory': '8g',
        };
        expect(check(spec('etl', 'SMALL', withinCap), teams)).toBeUndefined();
      });

      it('refuse executor counts above it, naming the key, the cap and the config path', () => {
        for (const key of ['spark.dynamicAllocation.maxExecutors', 'spark.executor.instances', 'spark.dynamicAllocation.minExecutors']) {
          expect(check(spec('etl', 'DEFAULT', { [key]: String(cap + 1) }), teams)).toBe(
            `conf ${key}=${cap + 1} is over team etl's cap of ${cap} executors (teams.etl.maxSize LARGE)`,
          );
        }
      });

      it('refuse cores above the preset’s', () => {
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.cores': '16' }), teams)).toBe(
          "conf spark.executor.cores=16 is over team etl's cap of 4 cores (teams.etl.maxSize LARGE)",
        );
        expect(check(spec('etl', 'DEFAULT', { 'spark.driver.cores': '5' }), teams)).toMatch(/cap of 4 cores/);
      });

      it('refuse a value that is not a number', () => {
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.instances': 'lots' }), teams)).toMatch(/spark\.executor\.instances=lots is over/);
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.memory': 'lots' }), teams)).toBe(
          'conf spark.executor.memory=lots is not a memory size Spark reads (e.g. 4g, 4096m); it counts against the cap (teams.etl.maxSize LARGE)',
        );
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.memory': '1.5g' }), teams)).toMatch(/is not a memory size/);
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.memoryOverheadFactor': 'high' }), teams)).toMatch(/is not a number/);
      });

      it('add every executor memory key into one container and refuse it over the cap, naming the keys', () => {
        // 12g heap + 2g overhead (old name) + 2g off-heap + 1g PySpark = 17408 MiB: within 18022
        const fits = { 'spark.executor.memory': '12g', 'spark.yarn.executor.memoryOverhead': '2048', 'spark.memory.offHeap.size': '2147483648', 'spark.executor.pyspark.memory': '1g' };
        expect(check(spec('etl', 'SMALL', fits), teams)).toBeUndefined();
        // one more GiB of PySpark memory: 18432 MiB
        expect(check(spec('etl', 'SMALL', { ...fits, 'spark.executor.pyspark.memory': '2g' }), teams)).toBe(
          'conf spark.executor.memory, spark.yarn.executor.memoryOverhead, spark.memory.offHeap.size, spark.executor.pyspark.memory make each executor 18432 MiB ' +
            `(heap 12288 + overhead 2048 + off-heap 2048 + PySpark 2048), over team etl's cap of ${executorCap} MiB per executor (teams.etl.maxSize LARGE)`,
        );
      });

      it('count the preset’s heap when only an overhead is set, and a bare offHeap.size in bytes', () => {
        // DEFAULT's 8g heap + 10g overhead = 18432 MiB
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.memoryOverhead': '10g' }), teams)).toMatch(
          new RegExp(`^conf spark\\.executor\\.memoryOverhead makes each executor 18432 MiB \\(heap 8192 \\+ overhead 10240 \\+ off-heap 0 \\+ PySpark 0\\), over team etl's cap of ${executorCap} MiB`),
        );
        // 10 GiB as bytes
        expect(check(spec('etl', 'DEFAULT', { 'spark.memory.offHeap.size': String(10 * 1024 ** 3) }), teams)).toMatch(/off-heap 10240 \+ PySpark 0\)/);
      });

      it('take the larger of a key and its old name', () => {
        const both = { 'spark.executor.memoryOverhead': '1g', 'spark.yarn.executor.memoryOverhead': '16g' };
        expect(check(spec('etl', 'DEFAULT', both), teams)).toMatch(/overhead 16384/);
      });

      it('apply an overhead factor to the heap', () => {
        // 16g heap × 0.5 = 8g overhead
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.memory': '16g', 'spark.executor.memoryOverheadFactor': '0.5' }), teams)).toMatch(
          /make each executor 24576 MiB \(heap 16384 \+ overhead 8192/,
        );
      });

      it('cap the driver with the driver’s preset memory', () => {
        expect(check(spec('etl', 'DEFAULT', { 'spark.driver.memory': '8g' }), teams)).toBeUndefined();
        expect(check(spec('etl', 'DEFAULT', { 'spark.driver.memory': '8g', 'spark.yarn.driver.memoryOverhead': '2g' }), teams)).toBe(
          `conf spark.driver.memory, spark.yarn.driver.memoryOverhead make each driver 10240 MiB (heap 8192 + overhead 2048), over team etl's cap of ${driverCap} MiB per driver (teams.etl.maxSize LARGE)`,
        );
      });

      it('cap memory keys outside the arithmetic at the executor cap on their own', () => {
        expect(check(spec('etl', 'DEFAULT', { 'spark.python.worker.memory': '512m' }), teams)).toBeUndefined();
        expect(check(spec('etl', 'DEFAULT', { 'spark.python.worker.memory': '64g' }), teams)).toBe(
          `conf spark.python.worker.memory=64g is over team etl's cap of ${executorCap} MiB per executor (teams.etl.maxSize LARGE)`,
        );
      });

      it('without maxSize, cap at the largest preset', () => {
        const open: Record<string, TeamPolicy> = { '*': { allowSizeOverrides: true } };
        const xl = DEFAULT_SIZE_SETTINGS.EXTRA_LARGE.maxExecutors;
        expect(check(spec('any', 'DEFAULT', { 'spark.dynamicAllocation.maxExecutors': String(xl) }), open)).toBeUndefined();
        expect(check(spec('any', 'DEFAULT', { 'spark.dynamicAllocation.maxExecutors': String(xl + 1) }), open)).toBe(
          `conf spark.dynamicAllocation.maxExecutors=${xl + 1} is over team any's cap of ${xl} executors (teams.*.maxSize EXTRA_LARGE)`,
        );
        expect(check(spec('any', 'DEFAULT', { 'spark.executor.memory': '64g' }), open)).toMatch(/cap of 36044 MiB per executor \(teams\.\*\.maxSize EXTRA_LARGE\)/);
      });

      it('read the cap from the configured presets, not the defaults', () => {
        const sizes = { ...DEFAULT_SIZE_SETTINGS, LARGE: { ...DEFAULT_SIZE_SETTINGS.LARGE, maxExecutors: 20, executorMemory: '4g' } };
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.instances': '20' }), teams, sizes)).toBeUndefined();
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.instances': '21' }), teams, sizes)).toMatch(/cap of 20 executors/);
        expect(check(spec('etl', 'SMALL', { 'spark.executor.memory': '5g' }), teams, sizes)).toMatch(/cap of 4505 MiB per executor/);
      });
    });
  });
});
