/**
 * Spark's memory sizes, read the way Spark reads them (JavaUtils.byteStringAs): an integer with an
 * optional binary unit (b, k/kb, m/mb, g/gb, t/tb, p/pb, any case); a bare number is in the key's
 * own default unit (MiB for spark.*.memory and overheads, bytes for spark.memory.offHeap.size).
 * Fractions are refused, as Spark refuses them.
 */
const UNIT_POWERS: Record<string, number> = { b: 0, k: 1, kb: 1, m: 2, mb: 2, g: 3, gb: 3, t: 4, tb: 4, p: 5, pb: 5 };

export type ByteUnit = 'b' | 'm';

/** Whole MiB (rounded down, as Spark converts), or undefined when Spark would refuse the value. */
export function sparkMebibytes(text: string, defaultUnit: ByteUnit): number | undefined {
  const match = /^([0-9]+)([a-z]+)?$/.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const power = UNIT_POWERS[match[2] ?? defaultUnit];
  if (power === undefined) return undefined;
  // Past 2^53 precision goes, but such a size is over every cap by many orders of magnitude anyway.
  return Math.floor(Number(match[1]) * 1024 ** (power - 2));
}

/** A factor such as spark.executor.memoryOverheadFactor (Java's Double.parseDouble, finite, not negative). */
export function sparkFactor(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** A count such as spark.executor.cores (Java's Integer.parseInt). */
export function sparkInteger(text: string): number | undefined {
  const trimmed = text.trim();
  return /^[0-9]{1,10}$/.test(trimmed) ? Number(trimmed) : undefined;
}
