/**
 * Turns whatever a caller passed as a spec into plain JSON data before any schema sees it, with
 * every problem reported at its field: values nested too deep, cycles, values JSON cannot carry,
 * getters or proxies that throw, reserved keys, and strings or lists over their field's cap (read
 * from the schema). Each value is read exactly once, so what is validated is what is returned, and
 * zod then only ever sees bounded, shallow, plain data.
 */
import type { z } from 'zod';
import { childSchema, maxLengthOf } from './schemaCaps';

export interface FieldError {
  field: string;
  message: string;
}

export interface PlainData {
  /** A plain copy of the input; over-long strings and lists are cut to their cap (and reported). */
  value: unknown;
  /** Errors that leave the copy unusable: nothing else should be checked. */
  shapeErrors: FieldError[];
  /** Strings and lists over their cap: the copy is cut, so the rest can still be checked. */
  lengthErrors: FieldError[];
}

export interface PlainDataOptions {
  /** Path segments below the root a value may sit at. */
  maxDepth: number;
  /** Where per-field caps come from. */
  schema: z.core.$ZodType;
  /** Stop collecting after this many errors. */
  maxErrors: number;
  /**
   * The cap for a string whose schema sets none (conf values, durations, enums): one oversized
   * value is named as its own field, not only as the whole document's size.
   */
  maxStringLength?: number;
}

/**
 * Keys that name JavaScript's object machinery. zod drops `__proto__` from records without a word
 * and would keep `constructor` as a conf key: refuse them anywhere, with their path.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const UNREADABLE = 'could not be read (a getter or proxy threw)';

export function fieldName(path: readonly (string | number)[]): string {
  return path.length === 0 ? '(spec)' : path.join('.');
}

function notJson(kind: string): string {
  return `must be JSON data (string, number, boolean, null, array or object), not a ${kind}`;
}

/** Plain objects have Object.prototype (of any realm) or no prototype at all. */
function isPlainPrototype(proto: object | null): boolean {
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function constructorName(proto: object): string {
  try {
    const name: unknown = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name ? name : 'object with a custom prototype';
  } catch {
    return 'object with a custom prototype';
  }
}

export function readPlainData(input: unknown, options: PlainDataOptions): PlainData {
  const shapeErrors: FieldError[] = [];
  const lengthErrors: FieldError[] = [];
  const ancestors: object[] = [];
  const full = () => shapeErrors.length + lengthErrors.length >= options.maxErrors;
  const fail = (path: (string | number)[], message: string) => {
    if (!full()) shapeErrors.push({ field: fieldName(path), message });
  };

  function read(value: unknown, path: (string | number)[], schema: z.core.$ZodType | undefined): unknown {
    switch (typeof value) {
      case 'string': {
        const cap = maxLengthOf(schema) ?? options.maxStringLength;
        if (cap === undefined || value.length <= cap) return value;
        if (!full()) lengthErrors.push({ field: fieldName(path), message: `is ${value.length} characters; at most ${cap} allowed` });
        return value.slice(0, cap);
      }
      case 'number':
      case 'boolean':
      case 'undefined':
        return value;
      case 'object':
        if (value === null) return null;
        return readContainer(value, path, schema);
      default:
        fail(path, notJson(typeof value));
        return undefined;
    }
  }

  function readContainer(value: object, path: (string | number)[], schema: z.core.$ZodType | undefined): unknown {
    if (ancestors.includes(value)) {
      fail(path, 'refers back to an enclosing object (a cycle); a spec must be plain JSON data');
      return undefined;
    }
    let isArray: boolean;
    let keys: string[];
    try {
      isArray = Array.isArray(value);
      if (!isArray) {
        const proto = Object.getPrototypeOf(value) as object | null;
        if (!isPlainPrototype(proto)) {
          fail(path, notJson(constructorName(proto!)));
          return undefined;
        }
      }
      keys = isArray ? [] : Object.keys(value);
    } catch {
      fail(path, UNREADABLE);
      return undefined;
    }
    ancestors.push(value);
    try {
      return isArray ? readArray(value as unknown[], path, schema) : readObject(value as Record<string, unknown>, keys, path, schema);
    } finally {
      ancestors.pop();
    }
  }

  function tooDeep(path: (string | number)[], entries: number): boolean {
    if (entries === 0 || path.length < options.maxDepth) return false;
    fail(path, `holds values nested more than ${options.maxDepth} levels deep; no field of a job spec does`);
    return true;
  }

  function readArray(value: unknown[], path: (string | number)[], schema: z.core.$ZodType | undefined): unknown {
    let length: number;
    try {
      length = value.length;
    } catch {
      fail(path, UNREADABLE);
      return undefined;
    }
    if (tooDeep(path, length)) return undefined;
    const cap = maxLengthOf(schema);
    if (cap !== undefined && length > cap) {
      if (!full()) lengthErrors.push({ field: fieldName(path), message: `has ${length} entries; at most ${cap} allowed` });
      length = cap;
    }
    const element = childSchema(schema, '0');
    const copy: unknown[] = [];
    for (let i = 0; i < length && !full(); i++) {
      let item: unknown;
      try {
        item = value[i];
      } catch {
        fail([...path, i], UNREADABLE);
        continue;
      }
      copy.push(read(item, [...path, i], element));
    }
    return copy;
  }

  function readObject(value: Record<string, unknown>, keys: string[], path: (string | number)[], schema: z.core.$ZodType | undefined): unknown {
    if (tooDeep(path, keys.length)) return undefined;
    const copy: Record<string, unknown> = {};
    for (const key of keys) {
      if (full()) break;
      if (RESERVED_KEYS.has(key)) {
        fail([...path, key], `'${key}' is a reserved name and cannot be a key`);
        continue;
      }
      let item: unknown;
      try {
        item = value[key];
      } catch {
        fail([...path, key], UNREADABLE);
        continue;
      }
      const plain = read(item, [...path, key], childSchema(schema, key));
      // JSON drops undefined members; so does the copy (never a reserved key, so plain assignment is safe)
      if (plain !== undefined) copy[key] = plain;
    }
    return copy;
  }

  const value = read(input, [], options.schema);
  return { value, shapeErrors, lengthErrors };
}
