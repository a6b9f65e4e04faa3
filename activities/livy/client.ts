/**
 * A Livy REST client over undici: one keep-alive pool per endpoint, bounded timeouts,
 * X-Requested-By always sent (CSRF), an optional auth header from worker config, typed errors.
 */
import { Pool, type Dispatcher } from 'undici';
import { LivyError, livyErrorFromResponse } from './errors';
import type { LivyBatch, LivyBatchList, LivyBatchRequest, LivyLog } from './types';

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

  getBatch(idOrName: number | string): Promise<LivyBatch> {
    return this.call<LivyBatch>('GET', `/batches/${encodeURIComponent(String(idOrName))}`, `get batch ${idOrName}`);
  }

  /** The batch, or undefined if Livy does not hold it (404). */
  async findBatch(idOrName: number | string): Promise<LivyBatch | undefined> {
    try {
      return await this.getBatch(idOrName);
    } catch (err) {
      if (err instanceof LivyError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  listBatches(from = 0, size = 100): Promise<LivyBatchList> {
    return this.call<LivyBatchList>('GET', `/batches?from=${from}&size=${size}`, 'list batches');
  }

  createBatch(request: LivyBatchRequest): Promise<LivyBatch> {
    return this.call<LivyBatch>('POST', '/batches', `create batch ${request.name}`, request);
  }

  async deleteBatch(id: number): Promise<void> {
    await this.call('DELETE', `/batches/${id}`, `delete batch ${id}`, undefined, this.options.deleteTimeoutMs ?? 150_000);
  }

  /** The last `size` lines (Livy defaults `from` to the tail). */
  getLog(id: number, size = 100): Promise<LivyLog> {
    return this.call<LivyLog>('GET', `/batches/${id}/log?size=${size}`, `get log of batch ${id}`);
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
      if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
      throw livyErrorFromResponse(status, messageOf(text), what);
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

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { msg?: unknown };
    if (typeof parsed.msg === 'string') return parsed.msg.slice(0, 500);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 500);
}

/** One client (and one keep-alive pool) per Livy endpoint, shared by every activity in the worker. */
export class LivyClients {
  private readonly clients = new Map<string, LivyClient>();
  private readonly pools: Pool[] = [];

  constructor(private readonly options: LivyClientOptions = {}) {}

  for(endpoint: string): LivyClient {
    let client = this.clients.get(endpoint);
    if (!client) {
      const origin = new URL(endpoint).origin;
      const pool = new Pool(origin, {
        connections: this.options.connectionsPerEndpoint ?? 16,
        keepAliveTimeout: 30_000,
        connect: { timeout: this.options.connectTimeoutMs ?? 5_000, ...(this.options.ca ? { ca: this.options.ca } : {}) },
      });
      this.pools.push(pool);
      client = new LivyClient(endpoint, pool, this.options);
      this.clients.set(endpoint, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
}
