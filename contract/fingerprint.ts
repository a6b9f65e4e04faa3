/**
 * A stable fingerprint of a normalized spec, and a field-by-field diff: the identity the
 * idempotency check compares (same key, same fingerprint: the same job). It is an unkeyed hash
 * anyone can compute, so it proves nothing about a spec: every spec is validated by the validateJob
 * activity whatever fingerprint it arrives with. Pure code (no Node crypto), usable anywhere.
 */
import type { JobSpec } from './jobSpec';

/** Who asked does not change what runs: a retry by another identity is the same job. */
const NOT_FINGERPRINTED = new Set(['requestedBy']);

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function fingerprinted(spec: JobSpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec).filter(([k]) => !NOT_FINGERPRINTED.has(k)));
}

/** FNV-1a, 64 bits, over the canonical JSON: collisions are irrelevant at this scale. */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

export function specFingerprint(spec: JobSpec): string {
  return fnv1a64(canonicalJson(fingerprinted(spec)));
}

/** Top-level and nested paths whose values differ, e.g. ["args", "conf.spark.executor.memory"]. */
export function diffSpecs(a: JobSpec, b: JobSpec): string[] {
  const out: string[] = [];
  walk(fingerprinted(a), fingerprinted(b), '', out);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const key of [...keys].sort()) {
      walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push(path || '(spec)');
}
