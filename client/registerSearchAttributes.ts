/** Registers Shale's search attributes on a namespace (`shale admin setup`, test servers). Idempotent. */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../contract';

// @temporalio/proto is CommonJS: take its namespace from the default export under Node's ESM loader.
const { temporal } = proto;

/** Temporal's IndexedValueType number for each type the contract declares, as listSearchAttributes answers them. */
export const INDEXED_TYPE = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(INDEXED_TYPE).map(([name, value]) => [value, name]));

/** What a namespace lacks, as `Name (Type)` or `Name (Type, registered as Other)`; empty when it has everything. */
export function missingSearchAttributes(registered: Record<string, number>): string[] {
  return SEARCH_ATTRIBUTE_DECLARATIONS.flatMap(([name, type]) => {
    if (!(name in registered)) return [`${name} (${type})`];
    const actual = TYPE_NAMES[registered[name]!] ?? `type ${registered[name]}`;
    return actual === type ? [] : [`${name} (${type}, registered as ${actual})`];
  });
}

export async function registerSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<string[]> {
  // The time-skipping test server cannot list them; it accepts adding all of them instead.
  const existing = await connection.operatorService.listSearchAttributes({ namespace }).catch(() => undefined);
  const known = new Set(Object.keys(existing?.customAttributes ?? {}));
  const missing = SEARCH_ATTRIBUTE_DECLARATIONS.filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPE[type]])),
  });
  return missing.map(([name]) => name);
}
