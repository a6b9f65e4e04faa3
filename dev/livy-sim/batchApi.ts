/** Livy's batch REST API (/batches), as BatchSessionServlet and SessionServlet answer it. */
import type { BatchRecord, BatchStore } from './batches.js';
import { parseCreateBatchRequest, RequestBodyError } from './createRequest.js';
import { decodeSegment, empty, isAllDigits, json, message, NumberFormatError, parseJavaInt, type Answer } from './http.js';

export interface BatchApiRequest {
  method: string;
  /** Path segments after "batches", already split (no empty trailing segment). */
  segments: string[];
  query: URLSearchParams;
  body: string;
}

/** Which batch a request names, worked out before it is handled (so DELETE can still say). */
export interface BatchIdentity {
  batchId?: number;
  batchName?: string;
}

const DEFAULT_PAGE_SIZE = 100;

function notFound(idOrName: string): Answer {
  return message(404, `Session '${idOrName}' not found.`);
}

/** Livy's doWithSession lookup; throws NumberFormatError for an all-digit segment out of int range. */
function lookup(store: BatchStore, idOrName: string): BatchRecord | undefined {
  if (isAllDigits(idOrName)) return store.byId(parseJavaInt(idOrName));
  return store.find(idOrName);
}

function intParam(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  return raw === null ? undefined : parseJavaInt(raw);
}

/** Scala's `view(from, until)`: negative bounds clamp to 0, an empty range gives nothing. */
function slice<T>(items: T[], from: number, until: number): T[] {
  const start = Math.max(0, from);
  const end = Math.max(start, until);
  return items.slice(start, end);
}

export function identify(store: BatchStore, req: BatchApiRequest): BatchIdentity {
  const [first] = req.segments;
  if (first === undefined) {
    if (req.method !== 'POST') return {};
    try {
      const parsed: unknown = JSON.parse(req.body);
      const name = (parsed as { name?: unknown } | null)?.name;
      return typeof name === 'string' ? { batchName: name } : {};
    } catch {
      return {};
    }
  }
  const idOrName = decodeSegment(first);
  let batch: BatchRecord | undefined;
  try {
    batch = lookup(store, idOrName);
  } catch {
    return {};
  }
  const identity: BatchIdentity = {};
  if (batch) {
    identity.batchId = batch.id;
    if (batch.name !== null) identity.batchName = batch.name;
  } else if (isAllDigits(idOrName)) {
    identity.batchId = Number(idOrName);
  } else {
    identity.batchName = idOrName;
  }
  return identity;
}

function list(store: BatchStore, query: URLSearchParams): Answer {
  const from = intParam(query, 'from') ?? 0;
  const size = intParam(query, 'size') ?? DEFAULT_PAGE_SIZE;
  const all = store.all();
  return json(200, {
    from,
    total: all.length,
    sessions: slice(all, from, from + size).map((b) => store.view(b)),
  });
}

function create(store: BatchStore, body: string): Answer {
  if (store.tooManySubmits()) {
    return message(400, 'Rejected, too many sessions are being created!');
  }
  const request = parseCreateBatchRequest(body);
  const result = store.submit(request);
  const batchName = request.name ?? undefined;
  // A failed start still names the batch it registered (LIVY.md), so the request log shows its id.
  if (!result.ok) {
    const extra = { batchName, ...(result.batch ? { batchId: result.batch.id } : {}) };
    // An exception Livy did not expect (a ClassCastException) is a 500 whose body is its text, bare.
    return result.status === 500 ? json(500, result.msg, extra) : message(400, result.msg, extra);
  }
  const { batch } = result;
  return json(201, store.view(batch), {
    headers: { location: `/batches/${batch.id}` },
    batchId: batch.id,
    batchName,
  });
}

function log(store: BatchStore, batch: BatchRecord, query: URLSearchParams): Answer {
  const lines = store.logEntries(batch);
  let size = intParam(query, 'size') ?? DEFAULT_PAGE_SIZE;
  let from = intParam(query, 'from') ?? -1;
  if (size < 0) size = lines.length;
  if (from < 0) from = Math.max(0, lines.length - size);
  return json(200, { id: batch.id, from, total: lines.length, log: slice(lines, from, from + size) });
}

function route(store: BatchStore, req: BatchApiRequest): Answer {
  const { method, segments, query } = req;
  // Scalatra lists the route's methods in Allow, HEAD included (GET routes answer it).
  if (segments.length === 0) {
    if (method === 'GET' || method === 'HEAD') return list(store, query);
    if (method === 'POST') return create(store, req.body);
    return empty(405, { allow: 'POST, GET, HEAD' });
  }
  if (segments.length > 2) return empty(404);
  const idOrName = decodeSegment(segments[0] ?? '');
  const action = segments[1];
  const allowed = action === undefined ? ['DELETE', 'GET', 'HEAD'] : action === 'state' || action === 'log' ? ['GET', 'HEAD'] : [];
  if (allowed.length === 0) return empty(404);
  if (!allowed.includes(method)) return empty(405, { allow: allowed.join(', ') });

  const batch = lookup(store, idOrName);
  if (!batch) return notFound(idOrName);
  if (action === 'state') return json(200, { id: batch.id, state: batch.state });
  if (action === 'log') return log(store, batch, query);
  if (method === 'DELETE') {
    store.erase(batch);
    return message(200, 'deleted');
  }
  return json(200, store.view(batch));
}

/** Answers one batch API request (faults and CSRF are the dispatcher's business). */
export function handleBatchApi(store: BatchStore, req: BatchApiRequest): Answer {
  try {
    return route(store, req);
  } catch (err) {
    // SessionServlet turns IllegalArgumentException (NumberFormatException included) into 400 {"msg"};
    // JsonServlet answers Jackson's parse and mapping errors with 400 and a bare JSON string.
    if (err instanceof NumberFormatError) return message(400, err.message);
    if (err instanceof RequestBodyError) return json(400, err.message);
    return message(500, String(err));
  }
}
