import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, parseJobSpec, type JobSpec, type SizePreset, type SizeSettings } from '../../contract';
import { sizePolicyViolation, type TeamSizePolicy } from '../../activities/sizePolicy';

function spec(team: string, size: SizePreset, conf: Record<string, string> = {}): JobSpec {
  const result = parseJobSpec({ name: 'job', team, kind: 'pyspark', file: 's3://b/main.py', size, conf });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

const check = (s: JobSpec, teams: Record<string, TeamSizePolicy>, sizes: Record<SizePreset, SizeSettings> = DEFAULT_SIZE_SETTINGS) =>
  sizePolicyViolation(s, teams, sizes);

const SIZING_KEYS: Record<string, string> = {
  'spark.driver.memory': '64g',
  'spark.driver.cores': '16',
  'spark.executor.memory': '64g',
  'spark.executor.cores': '16',
  'spark.executor.instances': '20',
  'spark.dynamicAllocation.minExecutors': '20',
  'spark.dynamicAllocation.maxExecutors': '20',
};

describe('sizePolicyViolation', () => {
  it('allows anything when no policy applies', () => {
    expect(check(spec('etl', 'EXTRA_LARGE', SIZING_KEYS), {})).toBeUndefined();
    // policies for other teams, and no '*', leave this team alone
    expect(check(spec('etl', 'EXTRA_LARGE', SIZING_KEYS), { analytics: { maxSize: 'SMALL' } })).toBeUndefined();
  });

  describe('maxSize', () => {
    const teams: Record<string, TeamSizePolicy> = { etl: { maxSize: 'DEFAULT' } };

    it('allows sizes up to and including the cap', () => {
      expect(check(spec('etl', 'SMALL'), teams)).toBeUndefined();
      expect(check(spec('etl', 'DEFAULT'), teams)).toBeUndefined();
    });

    it('refuses a larger size, naming the size, the cap and the config path', () => {
      for (const size of ['LARGE', 'EXTRA_LARGE'] as const) {
        const message = check(spec('etl', size), teams);
        expect(message).toBe(`size ${size} is over team etl's cap DEFAULT (teams.etl.maxSize)`);
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
      const teams: Record<string, TeamSizePolicy> = { '*': { maxSize: 'SMALL' } };
      expect(check(spec('newcomers', 'SMALL'), teams)).toBeUndefined();
      expect(check(spec('newcomers', 'DEFAULT'), teams)).toBe("size DEFAULT is over team newcomers's cap SMALL (teams.*.maxSize)");
    });

    it("does not apply to a listed team: the team's own policy wins", () => {
      const teams: Record<string, TeamSizePolicy> = { '*': { maxSize: 'SMALL' }, etl: { maxSize: 'EXTRA_LARGE' }, ml: {} };
      expect(check(spec('etl', 'EXTRA_LARGE'), teams)).toBeUndefined();
      expect(check(spec('ml', 'EXTRA_LARGE'), teams)).toBeUndefined();
      expect(check(spec('other', 'LARGE'), teams)).toMatch(/teams\.\*\.maxSize/);
    });
  });

  describe('sizing conf overrides', () => {
    it('are refused unless allowSizeOverrides, naming the key and the config path', () => {
      const teams: Record<string, TeamSizePolicy> = { etl: { maxSize: 'LARGE' }, '*': {} };
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

    it('lists every offending key', () => {
      const message = check(spec('etl', 'DEFAULT', { 'spark.driver.memory': '8g', 'spark.executor.memory': '8g', 'spark.sql.shuffle.partitions': '10' }), { etl: {} });
      expect(message).toMatch(/^conf spark\.driver\.memory, spark\.executor\.memory overrides sizing/);
      expect(message).not.toMatch(/shuffle/);
    });

    it('leaves conf that does not touch sizing alone', () => {
      const conf = { 'spark.sql.shuffle.partitions': '400', 'spark.executor.extraJavaOptions': '-Dx=1', 'spark.dynamicAllocation.enabled': 'true' };
      expect(check(spec('etl', 'DEFAULT', conf), { etl: { maxSize: 'DEFAULT' } })).toBeUndefined();
    });

    it('checks the size cap before the conf', () => {
      expect(check(spec('etl', 'LARGE', { 'spark.executor.memory': '8g' }), { etl: { maxSize: 'SMALL' } })).toMatch(/^size LARGE is over/);
    });

    describe('when allowed', () => {
      const teams: Record<string, TeamSizePolicy> = { etl: { maxSize: 'LARGE', allowSizeOverrides: true } };
      const cap = DEFAULT_SIZE_SETTINGS.LARGE.maxExecutors;

      it('pass up to the max preset’s maxExecutors', () => {
        expect(check(spec('etl', 'DEFAULT', { ...SIZING_KEYS }), teams)).toBeUndefined();
        expect(check(spec('etl', 'SMALL', { 'spark.dynamicAllocation.maxExecutors': String(cap), 'spark.executor.instances': String(cap) }), teams)).toBeUndefined();
      });

      it('are refused above it, naming the key, the cap and the config path', () => {
        for (const key of ['spark.dynamicAllocation.maxExecutors', 'spark.executor.instances']) {
          expect(check(spec('etl', 'DEFAULT', { [key]: String(cap + 1) }), teams)).toBe(
            `conf ${key}=${cap + 1} is over team etl's cap of ${cap} executors (teams.etl.maxSize LARGE)`,
          );
        }
      });

      it('refuses a value that is not a number', () => {
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.instances': 'lots' }), teams)).toMatch(/spark\.executor\.instances=lots is over/);
      });

      it('without maxSize, caps at EXTRA_LARGE', () => {
        const open: Record<string, TeamSizePolicy> = { '*': { allowSizeOverrides: true } };
        const xl = DEFAULT_SIZE_SETTINGS.EXTRA_LARGE.maxExecutors;
        expect(check(spec('any', 'DEFAULT', { 'spark.dynamicAllocation.maxExecutors': String(xl) }), open)).toBeUndefined();
        expect(check(spec('any', 'DEFAULT', { 'spark.dynamicAllocation.maxExecutors': String(xl + 1) }), open)).toBe(
          `conf spark.dynamicAllocation.maxExecutors=${xl + 1} is over team any's cap of ${xl} executors (teams.*.maxSize EXTRA_LARGE)`,
        );
      });

      it('reads the cap from the configured presets, not the defaults', () => {
        const sizes = { ...DEFAULT_SIZE_SETTINGS, LARGE: { ...DEFAULT_SIZE_SETTINGS.LARGE, maxExecutors: 20 } };
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.instances': '20' }), teams, sizes)).toBeUndefined();
        expect(check(spec('etl', 'DEFAULT', { 'spark.executor.instances': '21' }), teams, sizes)).toMatch(/cap of 20 executors/);
      });
    });
  });
});
