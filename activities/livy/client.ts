/**
 * A Livy REST client over undici: one keep-alive pool per endpoint, bounded timeouts,
 * X-Requested-By always sent (CSRF), an optional auth header from worker config, typed errors.
 */
import type { Dispatcher } from 'undici';
import { ClientPools } from '../http/clientPools';
import { LivyError, livyErrorFromResponse, mayHaveRegisteredBatch, readErrorBody, type FailedStartLeftover } from './errors';
import type { LivyBatch, LivyBatchList, LivyBatchRequest, LivyLog } from './types';

/** A batch's name (preferred: it survives a Livy restart) or its id. */
export type BatchKey = string | number;

export interface LogPage {
  from?: number;
  size?: number;
}

export interface LivyClientOptions {
  /** Header name and value sent on every request, e.g. Authorization. Never logged. */
  authHeader?: { name: string; value: string };
  requestTimeoutMs?: number;
  /** DELETE blocks while YARN kills the app (up to ~120 s in Livy). */
  deleteTimeoutMs?: number;
  connectTimeoutMs?: number;
  connectionsPerEndpoint?: number;
  /** PEM CA bundle for HTTPS endpoints with a private CA. */
  ca?: string;
  /** Called after every request, for metrics. */
  onRequest?: (info: { endpoint: string; method: string; status: number | 'error'; ms: number }) => void;
}

type Method = 'GET' | 'POST' | 'DELETE';

export class LivyClient {
  private readonly origin: string;
  private readonly basePath: string;

  constructor(
    readonly endpoint: string,
    private readonly dispatcher: Dispatcher,
    private readonly options: LivyClientOptions,
  ) {
    const url = new URL(endpoint);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  /**
   * The batch, addressed by its name (Shale's `J-aN`), which keeps its meaning across a Livy
   * restart; an id is still accepted for callers that only know one.
   */
  getBatch(nameOrId: BatchKey): Promise<LivyBatch> {
    return this.call<LivyBatch>('GET', batchPath(nameOrId), `get batch ${nameOrId}`);
  }

  /** The batch, or undefined if Livy does not hold it (404). */
  async findBatch(nameOrId: BatchKey): Promise<LivyBatch | undefined> {
    try {
      return await this.getBatch(nameOrId);
    } catch (err) {
      if (err instanceof LivyError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  listBatches(from = 0, size = 100): Promise<LivyBatchList> {
    return this.call<LivyBatchList>('GET', `/batches?from=${from}&size=${size}`, 'list batches');
  }

  /**
   * POSTs the batch. A rejection that Livy registered anyway (LIVY.md: the failed start stuck in
   * `starting`, its name taken) is removed by name before the rejection is thrown, so a rejected
   * POST leaves nothing behind; the error says what happened to it.
   */
  async createBatch(request: LivyBatchRequest): Promise<LivyBatch> {
    try {
      return await this.call<LivyBatch>('POST', '/batches', `create batch ${request.name}`, request);
    } catch (err) {
      if (err instanceof LivyError && mayHaveRegisteredBatch(err)) throw await this.removeFailedStart(request.name, err);
      throw err;
    }
  }

  /** Kills the app if it runs and erases Livy's record. */
  async deleteBatch(nameOrId: BatchKey): Promise<void> {
    await this.call('DELETE', batchPath(nameOrId), `delete batch ${nameOrId}`, undefined, this.options.deleteTimeoutMs ?? 150_000);
  }

  /**
   * A page of the batch's log (markers included, LIVY.md). A number is the page size from the
   * tail (Livy defaults `from` to the tail); `{ from, size }` pages from an index.
   */
  getLog(nameOrId: BatchKey, page: number | LogPage = 100): Promise<LivyLog> {
    const { from, size = 100 } = typeof page === 'number' ? { size: page } : page;
    const query = from === undefined ? `size=${size}` : `from=${from}&size=${size}`;
    return this.call<LivyLog>('GET', `${batchPath(nameOrId)}/log?${query}`, `get log of batch ${nameOrId}`);
  }

  private async removeFailedStart(name: string, rejection: LivyError): Promise<LivyError> {
    const amended = (leftover: FailedStartLeftover, note: string) =>
      new LivyError(rejection.kind, `${rejection.message}; ${note}`, rejection.status, rejection.bodyForm, leftover);
    let registered: LivyBatch | undefined;
    try {
      registered = await this.findBatch(name);
    } catch (err) {
      return amended('unknown', `could not check whether Livy registered ${name} anyway (${(err as Error).message})`);
    }
    // Only a batch that never started is the rejected POST's leftover; anything else is not ours to remove.
    if (!registered || registered.state !== 'starting' || registered.appId) return rejection;
    try {
      await this.deleteBatch(name);
    } catch (err) {
      if (!(err instanceof LivyError && err.kind === 'not-found')) {
        return amended('remains', `Livy registered ${name} anyway (stuck in starting) and deleting it failed (${(err as Error).message})`);
      }
    }
    return amended('deleted', `Livy registered ${name} anyway (stuck in starting); it was deleted`);
  }

  private async call<T>(method: Method, path: string, what: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const started = performance.now();
    const timeout = timeoutMs ?? this.options.requestTimeoutMs ?? 15_000;
    const headers: Record<string, string> = { 'x-requested-by': 'shale', accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.authHeader) headers[this.options.authHeader.name.toLowerCase()] = this.options.authHeader.value;
    let status: number | 'error' = 'error';
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: this.basePath + path,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      status = response.statusCode;
      const text = await response.body.text();
      if (status >= 200 && status < 300) return parseAnswer<T>(text, what, status);
      throw livyErrorFromResponse(status, readErrorBody(text), what);
    } catch (err) {
      if (err instanceof LivyError) throw err;
      // Connection refused, reset, timed out, TLS failure: the endpoint is not answering.
      const code = (err as { code?: string }).code;
      throw new LivyError('unreachable', `${what}: ${this.endpoint} did not answer (${code ?? (err as Error).message})`);
    } finally {
      this.options.onRequest?.({ endpoint: this.endpoint, method, status, ms: performance.now() - started });
    }
  }
}

function parseAnswer<T>(text: string, what: string, status: number): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    // A proxy's HTML page or a truncated body: the endpoint is not answering as Livy.
    throw new LivyError('server-error', `${what}: Livy answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`, status, 'text');
  }
}

/**
 * Livy reads an all-digit segment as an id and anything else as a name; a name that is all
 * digits cannot be addressed (Livy refuses to create one), so asking for it is a bug.
 */
function batchPath(nameOrId: BatchKey): string {
  if (typeof nameOrId === 'string' && /^\d*$/.test(nameOrId)) {
    throw new Error(`batch name '${nameOrId}' would be read by Livy as an id`);
  }
  return `/batches/${encodeURIComponent(String(nameOrId))}`;
}

/** One client (and one keep-alive pool) per Livy endpoint, shared by every activity in the worker. */
export class LivyClients extends ClientPools<LivyClient> {
  constructor(options: LivyClientOptions = {}) {
    super(
      { connections: options.connectionsPerEndpoint ?? 16, connectTimeoutMs: options.connectTimeoutMs, ca: options.ca },
      (endpoint, pool) => new LivyClient(endpoint, pool, options),
    );
  }
}
