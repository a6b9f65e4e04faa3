/**
 * One request's path through the simulator: admin API, or the batch API behind injected faults,
 * Livy's CSRF filter and the request log; plus YARN's side of the cluster, which Livy's faults do
 * not reach: the ResourceManager's apps API and the fake pages the Batch object links to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdminApi, type AdminContext } from './adminApi.js';
import { handleBatchApi, identify } from './batchApi.js';
import type { BatchStore } from './batches.js';
import { SIMULATED_FAILURE, type FaultState } from './faults.js';
import { empty, message, readBody, writeAnswer, type Answer } from './http.js';
import type { RequestLog } from './requestLog.js';
import { handleResourceManagerApi, RM_APPS_PREFIX } from './resourceManagerApi.js';
import type { TimerSet } from './timers.js';
import type { YarnCluster } from './yarn.js';

export interface DispatchContext {
  name: string;
  csrf: boolean;
  store: BatchStore;
  yarn: YarnCluster;
  faults: FaultState;
  requestLog: RequestLog;
  /** Latency timers; cancelled when the server goes away. */
  timers: TimerSet;
  /** Restart asked through the admin API; `spare` is the socket that must get the answer. */
  restart(opts: { keepState: boolean; crash: boolean }, spare: IncomingMessage['socket']): Promise<void>;
}

/** Livy's CsrfFilter leaves these alone. */
const CSRF_SAFE_METHODS = new Set(['GET', 'OPTIONS', 'HEAD']);

export const APP_PAGES_PREFIX = '/sim/apps/';

function segmentsOf(path: string): string[] {
  return path.split('/').filter((segment, i, all) => i > 0 && !(segment === '' && i === all.length - 1));
}

function delay(timers: TimerSet, ms: number): Promise<void> {
  return new Promise((resolve) => timers.after(ms, resolve));
}

/** The fake Spark UI and driver log pages of a held batch's application. */
function appPage(store: BatchStore, path: string, res: ServerResponse): void {
  const [appId, page] = path.slice(APP_PAGES_PREFIX.length).split('/');
  const batch = appId ? store.byAppId(appId) : undefined;
  let text: string | null = null;
  if (batch && page === 'driver-log' && batch.driverLogUrl !== null) text = store.driverLog(batch).join('\n') + '\n';
  if (batch && page === 'spark-ui') text = `Spark UI of ${appId} (${batch.name ?? `batch ${batch.id}`}): ${batch.state}\n`;
  res.writeHead(text === null ? 404 : 200, { 'content-type': 'text/plain' });
  res.end(text ?? 'not found\n');
}

export function createDispatcher(ctx: DispatchContext) {
  /** Server-side connections, numbered in order of their first request (keep-alive shows as reuse). */
  const connections = new WeakMap<IncomingMessage['socket'], number>();
  let connectionCount = 0;
  const connectionOf = (socket: IncomingMessage['socket']): number => {
    let n = connections.get(socket);
    if (n === undefined) {
      n = ++connectionCount;
      connections.set(socket, n);
    }
    return n;
  };

  const adminContext = (spare: IncomingMessage['socket']): AdminContext => ({
    name: ctx.name,
    store: ctx.store,
    faults: ctx.faults,
    requestLog: ctx.requestLog,
    restart: (opts) => ctx.restart(opts, spare),
  });

  async function serveAdmin(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const segments = segmentsOf(url.pathname).slice(1);
    const answer = await handleAdminApi(adminContext(req.socket), {
      method: req.method ?? 'GET',
      segments,
      query: url.searchParams,
      body,
    });
    // The answer to a restart travels on a connection of the previous server: close it after.
    if (segments[0] === 'restart') answer.headers = { ...answer.headers, connection: 'close' };
    writeAnswer(res, answer);
  }

  async function serveLivy(req: IncomingMessage, res: ServerResponse, url: URL, body: string, arrivedAt: number): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const segments = segmentsOf(path);
    const isBatchApi = segments[0] === 'batches';
    const connection = connectionOf(req.socket);

    const { latencyMs } = ctx.faults.get();
    if (latencyMs > 0) {
      await delay(ctx.timers, latencyMs);
      if (req.socket.destroyed) return;
    }

    const batchRequest = { method, segments: segments.slice(1), query: url.searchParams, body };
    const identity = isBatchApi ? identify(ctx.store, batchRequest) : {};
    const record = (status: number, answer?: Answer) => {
      if (!isBatchApi) return;
      const batchId = identity.batchId ?? answer?.batchId;
      const batchName = identity.batchName ?? answer?.batchName;
      ctx.requestLog.add({
        at: arrivedAt,
        method,
        path,
        status,
        hasAuth: req.headers.authorization !== undefined,
        connection,
        ...(batchId !== undefined ? { batchId } : {}),
        ...(batchName !== undefined ? { batchName } : {}),
      });
    };

    const decision = ctx.faults.decide();
    if (decision === 'drop') {
      record(0);
      req.socket.destroy();
      return;
    }
    let answer: Answer;
    if (decision === 'error') {
      answer = message(ctx.faults.get().errorStatus, SIMULATED_FAILURE);
    } else if (ctx.csrf && !CSRF_SAFE_METHODS.has(method) && req.headers['x-requested-by'] === undefined) {
      answer = message(400, 'Missing Required Header for CSRF protection.');
    } else if (isBatchApi) {
      answer = handleBatchApi(ctx.store, batchRequest);
    } else {
      // Livy's Jetty answers a path it does not serve with an empty 404 (seen on 0.7.1).
      answer = empty(404);
    }
    record(answer.status, answer);
    // A lost answer: the POST has been handled (and logged); only the reply is late.
    const { postAnswerDelayMs } = ctx.faults.get();
    if (postAnswerDelayMs > 0 && isBatchApi && method === 'POST' && segments.length === 1) {
      await delay(ctx.timers, postAnswerDelayMs);
    }
    writeAnswer(res, answer);
  }

  return async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    try {
      const url = new URL(req.url ?? '/', 'http://livy-sim');
      const body = await readBody(req);
      if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) {
        await serveAdmin(req, res, url, body);
      } else if (url.pathname.startsWith(APP_PAGES_PREFIX) && req.method === 'GET') {
        appPage(ctx.store, url.pathname, res);
      } else if (url.pathname === RM_APPS_PREFIX || url.pathname.startsWith(`${RM_APPS_PREFIX}/`)) {
        const segments = segmentsOf(url.pathname).slice(4);
        writeAnswer(res, handleResourceManagerApi(ctx.yarn, ctx.store, { method: req.method ?? 'GET', segments, query: url.searchParams, body }));
      } else {
        await serveLivy(req, res, url, body, arrivedAt);
      }
    } catch (err) {
      if (req.socket.destroyed) return;
      writeAnswer(res, message(500, String(err)));
    }
  };
}
