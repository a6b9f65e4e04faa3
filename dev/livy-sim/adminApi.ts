/** The simulator's own admin API under /admin (never faulted, never logged). */
import type { BatchStore } from './batches.js';
import { FaultsError, type FaultState } from './faults.js';
import { decodeSegment, json, message, type Answer } from './http.js';
import type { RequestLog } from './requestLog.js';
import { TERMINAL_STATES, type TerminalState } from './types.js';

export interface AdminContext {
  name: string;
  store: BatchStore;
  faults: FaultState;
  requestLog: RequestLog;
  restart(opts: { keepState: boolean; crash: boolean }): Promise<void>;
}

export interface AdminRequest {
  method: string;
  /** Path segments after "admin". */
  segments: string[];
  query: URLSearchParams;
  body: string;
}

function parseObject(body: string): Record<string, unknown> | Answer {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // answered below
  }
  return message(400, 'body must be a JSON object');
}

function isAnswer(value: unknown): value is Answer {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

async function restart(ctx: AdminContext, body: string): Promise<Answer> {
  const parsed = parseObject(body);
  if (isAnswer(parsed)) return parsed;
  if (typeof parsed.keepState !== 'boolean') return message(400, 'keepState (boolean) is required');
  if (parsed.crash !== undefined && typeof parsed.crash !== 'boolean') return message(400, 'crash must be a boolean');
  const crash = parsed.crash === true;
  if (crash && parsed.keepState) return message(400, 'crash applies to a restart without state');
  await ctx.restart({ keepState: parsed.keepState, crash });
  return json(200, { ok: true, keepState: parsed.keepState, crash });
}

function setFaults(ctx: AdminContext, body: string): Answer {
  const parsed = parseObject(body);
  if (isAnswer(parsed)) return parsed;
  try {
    return json(200, { faults: ctx.faults.set(parsed) });
  } catch (err) {
    if (err instanceof FaultsError) return message(400, err.message);
    throw err;
  }
}

function finishBatch(ctx: AdminContext, idOrName: string, body: string): Answer {
  const parsed = parseObject(body);
  if (isAnswer(parsed)) return parsed;
  const state = parsed.state;
  if (typeof state !== 'string' || !(TERMINAL_STATES as readonly string[]).includes(state)) {
    return message(400, `state must be one of ${TERMINAL_STATES.join('|')}`);
  }
  const batch = ctx.store.find(idOrName);
  if (!batch) return message(404, `Session '${idOrName}' not found.`);
  if (!ctx.store.forceFinish(batch, state as TerminalState)) {
    return message(409, `Batch ${batch.id} already finished (${batch.state}).`);
  }
  return json(200, ctx.store.view(batch));
}

export async function handleAdminApi(ctx: AdminContext, req: AdminRequest): Promise<Answer> {
  const { method, segments, query, body } = req;
  const path = segments.join('/');
  if (path === 'health' && method === 'GET') return json(200, { ok: true, name: ctx.name });
  if (path === 'requests' && method === 'GET') {
    return json(200, {
      requests: ctx.requestLog.list({
        method: query.get('method') || undefined,
        name: query.get('name') || undefined,
      }),
    });
  }
  if (path === 'requests' && method === 'DELETE') {
    ctx.requestLog.clear();
    return json(200, { ok: true });
  }
  if (path === 'faults' && method === 'GET') return json(200, { faults: ctx.faults.get() });
  if (path === 'faults' && method === 'POST') return setFaults(ctx, body);
  if (path === 'restart' && method === 'POST') return restart(ctx, body);
  // Livy's retain time runs out now: finished batches are forgotten (YARN keeps their apps).
  if (path === 'expire' && method === 'POST') return json(200, { expired: ctx.store.expireFinished() });
  if (segments.length === 3 && segments[0] === 'batches' && segments[2] === 'finish' && method === 'POST') {
    return finishBatch(ctx, decodeSegment(segments[1] ?? ''), body);
  }
  return message(404, `No admin route ${method} /admin/${path}`);
}
