import { describe, expect, it } from 'vitest';
import { sparkFactor, sparkInteger, sparkMebibytes } from '../../activities/policy/sparkMemory';

describe('sparkMebibytes: memory sizes as Spark reads them', () => {
  it.each([
    ['4g', 'm', 4096],
    ['4096m', 'm', 4096],
    ['4096', 'm', 4096],
    ['1t', 'm', 1024 * 1024],
    ['4G', 'm', 4096],
    [' 4gb ', 'm', 4096],
    ['512mb', 'm', 512],
    ['2097152k', 'm', 2048],
    ['1048576', 'b', 1],
    ['1048575', 'b', 0],
    ['2147483648b', 'm', 2048],
    ['1p', 'm', 1024 ** 3],
  ] as const)('%j (bare unit %s) is %i MiB', (text, unit, mib) => {
    expect(sparkMebibytes(text, unit)).toBe(mib);
  });

  it.each([['1.5g'], ['-1g'], ['g'], [''], ['4 g'], ['4x'], ['4gib'], ['lots']])('refuses %j, as Spark does', (text) => {
    expect(sparkMebibytes(text, 'm')).toBeUndefined();
  });
});

describe('sparkFactor and sparkInteger', () => {
  it('read factors and counts', () => {
    expect(sparkFactor('0.1')).toBe(0.1);
    expect(sparkFactor('4')).toBe(4);
    expect(sparkFactor('1e-1')).toBe(0.1);
    expect(sparkFactor('-0.1')).toBeUndefined();
    expect(sparkFactor('NaN')).toBeUndefined();
    expect(sparkInteger(' 16 ')).toBe(16);
    expect(sparkInteger('1.5')).toBeUndefined();
    expect(sparkInteger('-1')).toBeUndefined();
  });
});
