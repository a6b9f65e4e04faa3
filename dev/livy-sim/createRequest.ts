/**
 * The POST /batches body, checked the way Livy's Jackson mapper reads CreateBatchRequest:
 * unknown fields and wrong types are rejected (400), scalars are coerced to strings, a missing
 * `file` is only noticed later (see batches.ts) exactly as Livy does.
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
}

const CLASS = 'org.apache.livy.server.batch.CreateBatchRequest';

type FieldKind = 'string' | 'int' | 'list' | 'map';

const FIELDS: Record<keyof CreateBatchRequest, FieldKind> = {
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

/** A body Jackson would refuse: Livy answers 400 with the mapper's message. */
export class RequestBodyError extends Error {}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function toStringField(field: string, value: unknown): string | null {
  if (value === null) return null;
  if (isScalar(value)) return String(value);
  throw new RequestBodyError(
    `Cannot deserialize value of type \`java.lang.String\` from ${Array.isArray(value) ? 'Array' : 'Object'} value (through reference chain: ${CLASS}["${field}"])`,
  );
}

function toIntField(field: string, value: unknown): number | null {
  if (value === null) return null;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && Math.abs(n) <= 2 ** 31 - 1) return n;
  throw new RequestBodyError(
    `Cannot deserialize value of type \`int\` from ${JSON.stringify(value)} (through reference chain: ${CLASS}["${field}"])`,
  );
}

function toListField(field: string, value: unknown): string[] {
  if (value === null) return [];
  if (Array.isArray(value) && value.every((v) => isScalar(v) || v === null)) {
    return value.filter((v) => v !== null).map(String);
  }
  throw new RequestBodyError(
    `Cannot deserialize value of type \`scala.collection.immutable.List<java.lang.String>\` from ${JSON.stringify(value)} (through reference chain: ${CLASS}["${field}"])`,
  );
}

function toMapField(field: string, value: unknown): Record<string, string> {
  if (value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null) continue;
      if (!isScalar(v)) {
        throw new RequestBodyError(
          `Cannot deserialize value of type \`java.lang.String\` from ${Array.isArray(v) ? 'Array' : 'Object'} value (through reference chain: ${CLASS}["${field}"]["${key}"])`,
        );
      }
      out[key] = String(v);
    }
    return out;
  }
  throw new RequestBodyError(
    `Cannot deserialize value of type \`scala.collection.immutable.Map<java.lang.String,java.lang.String>\` from ${JSON.stringify(value)} (through reference chain: ${CLASS}["${field}"])`,
  );
}

/** Parses and checks a raw POST body. */
export function parseCreateBatchRequest(raw: string): CreateBatchRequest {
  if (raw.trim() === '') {
    throw new RequestBodyError('No content to map due to end-of-input');
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new RequestBodyError(`Unexpected character in JSON body: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestBodyError(
      `Cannot construct instance of \`${CLASS}\` from ${Array.isArray(body) ? 'Array' : JSON.stringify(body)} value`,
    );
  }
  const known = Object.keys(FIELDS);
  const request: CreateBatchRequest = {
    file: null, proxyUser: null, className: null, args: [], jars: [], pyFiles: [], files: [],
    archives: [], driverMemory: null, driverCores: null, executorMemory: null,
    executorCores: null, numExecutors: null, queue: null, name: null, conf: {},
  };
  const target = request as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
    const kind = FIELDS[field as keyof CreateBatchRequest];
    if (kind === undefined) {
      throw new RequestBodyError(
        `Unrecognized field "${field}" (class ${CLASS}), not marked as ignorable (${known.length} known properties: ${known.map((k) => `"${k}"`).join(', ')})`,
      );
    }
    switch (kind) {
      case 'string':
        target[field] = toStringField(field, value);
        break;
      case 'int':
        target[field] = toIntField(field, value);
        break;
      case 'list':
        target[field] = toListField(field, value);
        break;
      case 'map':
        target[field] = toMapField(field, value);
        break;
    }
  }
  return request;
}
