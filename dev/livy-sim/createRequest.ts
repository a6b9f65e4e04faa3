/**
 * The POST /batches body, checked the way Livy 0.7.1's Jackson 2.9 mapper reads CreateBatchRequest:
 * unknown fields and wrong shapes are rejected (400, a bare JSON string with Jackson's text),
 * scalars are coerced to strings, a missing `file` is only noticed later (see batches.ts) exactly as
 * Livy does. The int fields are `Option[Int]` in Scala, erased to Option[Object]: Jackson puts any
 * scalar in them, and only the cast when Livy builds spark-submit's arguments fails (a 500 after the
 * batch was registered, seen on 0.7.1), so those are kept as `castFailure` for batches.ts.
 */

export interface CreateBatchRequest {
  file: string | null;
  proxyUser: string | null;
  className: string | null;
  args: string[];
  jars: string[];
  pyFiles: string[];
  files: string[];
  archives: string[];
  driverMemory: string | null;
  driverCores: number | null;
  executorMemory: string | null;
  executorCores: number | null;
  numExecutors: number | null;
  queue: string | null;
  name: string | null;
  conf: Record<string, string>;
  /** An int field held a non-int (a string, a fraction): the ClassCastException Livy answers 500 with. */
  castFailure: string | null;
}

const CLASS = 'org.apache.livy.server.batch.CreateBatchRequest';

type FieldKind = 'string' | 'int' | 'list' | 'map';

const FIELDS: Record<Exclude<keyof CreateBatchRequest, 'castFailure'>, FieldKind> = {
  file: 'string',
  proxyUser: 'string',
  className: 'string',
  args: 'list',
  jars: 'list',
  pyFiles: 'list',
  files: 'list',
  archives: 'list',
  driverMemory: 'string',
  driverCores: 'int',
  executorMemory: 'string',
  executorCores: 'int',
  numExecutors: 'int',
  queue: 'string',
  name: 'string',
  conf: 'map',
};

/** Jackson's own order of the 16 properties in its "Unrecognized field" text (seen on 0.7.1). */
const JACKSON_PROPERTY_ORDER = [
  'executorCores', 'className', 'conf', 'driverMemory', 'name', 'driverCores', 'pyFiles', 'archives',
  'executorMemory', 'files', 'jars', 'proxyUser', 'numExecutors', 'file', 'args', 'queue',
];

/** A body Jackson would refuse: Livy answers 400 with the mapper's message. */
export class RequestBodyError extends Error {}

/**
 * Jackson's location suffix. The column is approximate (Jackson's depends on the token it stopped
 * at); a client must match on the text before it, never on the column.
 */
function at(raw: string, offset: number, chain?: string): string {
  const before = raw.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1);
  return `\n at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: ${line}, column: ${column}]${chain ? ` (through reference chain: ${CLASS}${chain})` : ''}`;
}

/** Where a field's value starts in the raw body (0-based), for the location suffix. */
function valueOffset(raw: string, field: string): number {
  const key = raw.indexOf(`"${field}"`);
  if (key < 0) return raw.length;
  const match = /^\s*:\s*/.exec(raw.slice(key + field.length + 2));
  return key + field.length + 2 + (match ? match[0].length : 0);
}

/** Jackson's name for the token a value starts with. */
function tokenOf(value: unknown): string {
  if (Array.isArray(value)) return 'START_ARRAY';
  if (value === null) return 'VALUE_NULL';
  if (typeof value === 'object') return 'START_OBJECT';
  if (typeof value === 'string') return 'VALUE_STRING';
  if (typeof value === 'boolean') return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
  return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
}

/** Jackson's "out of <token>" refusal for a value of the wrong shape. */
function shapeError(raw: string, field: string, type: string, value: unknown): RequestBodyError {
  return new RequestBodyError(`Cannot deserialize instance of \`${type}\` out of ${tokenOf(value)} token${at(raw, valueOffset(raw, field) + 1, `["${field}"]`)}`);
}

/** The Java class Jackson makes of a scalar in an untyped (erased) slot. */
function javaClassOf(value: string | number | boolean): string {
  if (typeof value === 'string') return 'java.lang.String';
  if (typeof value === 'boolean') return 'java.lang.Boolean';
  if (!Number.isInteger(value)) return 'java.lang.Double';
  return Math.abs(value) <= 2 ** 31 - 1 ? 'java.lang.Integer' : 'java.lang.Long';
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function toStringField(raw: string, field: string, value: unknown): string | null {
  if (value === null) return null;
  if (isScalar(value)) return String(value);
  throw shapeError(raw, field, 'java.lang.String', value);
}

/** An int field: null, an int, or the cast Livy will fail on (arrays and objects Jackson refuses at once). */
function toIntField(raw: string, field: string, value: unknown): { value: number | null; castFailure?: string } {
  if (value === null) return { value: null };
  if (!isScalar(value)) throw shapeError(raw, field, 'java.lang.Integer', value);
  const found = javaClassOf(value);
  if (found === 'java.lang.Integer') return { value: value as number };
  return {
    value: null,
    castFailure: `java.lang.ClassCastException: class ${found} cannot be cast to class java.lang.Integer (${found} and java.lang.Integer are in module java.base of loader 'bootstrap')`,
  };
}

function toListField(raw: string, field: string, value: unknown): string[] {
  if (value === null) return [];
  if (Array.isArray(value) && value.every((v) => isScalar(v) || v === null)) {
    return value.filter((v) => v !== null).map(String);
  }
  throw shapeError(raw, field, 'scala.collection.immutable.List', value);
}

function toMapField(raw: string, field: string, value: unknown): Record<string, string> {
  if (value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null) continue;
      if (!isScalar(v)) throw shapeError(raw, field, 'java.lang.String', v);
      out[key] = String(v);
    }
    return out;
  }
  throw shapeError(raw, field, 'scala.collection.immutable.Map', value);
}

/** Jackson's text for a body that is not JSON (Node's parser says less; the common cases are mapped). */
function syntaxError(raw: string, err: Error): RequestBodyError {
  const token = /Unexpected token '?([^',\s]+)'?/.exec(err.message)?.[1];
  const position = Number(/at position (\d+)/.exec(err.message)?.[1] ?? NaN);
  const atEnd = /end of JSON input/i.test(err.message) || position >= raw.trimEnd().length;
  const text = atEnd
    ? 'Unexpected end-of-input within/between Object entries'
    : token !== undefined && /^[A-Za-z]/.test(token)
      ? `Unrecognized token '${token}': was expecting ('true', 'false' or 'null')`
      : `Unexpected character: ${err.message}`;
  return new RequestBodyError(`${text}${at(raw, raw.length)}`);
}

/** Parses and checks a raw POST body. */
export function parseCreateBatchRequest(raw: string): CreateBatchRequest {
  if (raw.trim() === '') {
    throw new RequestBodyError(`No content to map due to end-of-input${at(raw, 0)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw syntaxError(raw, err as Error);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestBodyError(`Cannot deserialize instance of \`${CLASS}\` out of ${tokenOf(body)} token${at(raw, raw.search(/\S/) + 1)}`);
  }
  const request: CreateBatchRequest = {
    file: null, proxyUser: null, className: null, args: [], jars: [], pyFiles: [], files: [],
    archives: [], driverMemory: null, driverCores: null, executorMemory: null,
    executorCores: null, numExecutors: null, queue: null, name: null, conf: {}, castFailure: null,
  };
  const target = request as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
    const kind = (FIELDS as Record<string, FieldKind | undefined>)[field];
    if (kind === undefined) {
      throw new RequestBodyError(
        `Unrecognized field "${field}" (class ${CLASS}), not marked as ignorable (${JACKSON_PROPERTY_ORDER.length} known properties: ${JACKSON_PROPERTY_ORDER.map((k) => `"${k}"`).join(', ')}])${at(raw, valueOffset(raw, field) + 2, `["${field}"]`)}`,
      );
    }
    switch (kind) {
      case 'string':
        target[field] = toStringField(raw, field, value);
        break;
      case 'int': {
        const int = toIntField(raw, field, value);
        target[field] = int.value;
        request.castFailure ??= int.castFailure ?? null;
        break;
      }
      case 'list':
        target[field] = toListField(raw, field, value);
        break;
      case 'map':
        target[field] = toMapField(raw, field, value);
        break;
    }
  }
  return request;
}
