/**
 * Reads length caps out of a zod schema, so checks that must run before zod (on input of any size)
 * use the schema's own numbers instead of a second copy of them.
 */
import type { z } from 'zod';

type Schema = z.core.$ZodType;

interface AnyDef {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
  options?: Schema[];
  checks?: Array<{ _zod: { def: { check?: string; maximum?: number } } }>;
}

const defOf = (schema: Schema) => schema._zod.def as unknown as AnyDef;

/** Past defaults, optionals and transforms, to the schema that checks the value's shape. */
function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

/** The schema for the value at `key` inside a value `schema` checks; undefined where the schema has none. */
export function childSchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined;
  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'object':
      return def.shape && Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
    case 'record':
      return def.valueType;
    case 'array':
      return def.element;
    case 'union':
      // a discriminated union's options share most fields; the first that has the key speaks for it
      for (const option of def.options ?? []) {
        const child = childSchema(option, key);
        if (child) return child;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The most characters (string) or entries (array) the schema accepts, if it sets a maximum. */
export function maxLengthOf(schema: Schema | undefined): number | undefined {
  if (!schema) return undefined;
  for (const check of defOf(unwrap(schema)).checks ?? []) {
    if (check._zod.def.check === 'max_length') return check._zod.def.maximum;
  }
  return undefined;
}
