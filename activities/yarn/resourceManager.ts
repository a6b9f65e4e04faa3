/**
 * A small client for YARN's ResourceManager REST API (Hadoop's "Cluster Applications API" and
 * "Cluster Application State API"), over undici: how a batch's app ended once Livy forgot the
 * batch (found by the tag Shale gave it, `J-aN`), and a kill that does not need Livy.
 */
import type { Dispatcher } from 'undici';
import { ClientPools } from '../http/clientPools';

export type YarnAppState = 'NEW' | 'NEW_SAVING' | 'SUBMITTED' | 'ACCEPTED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
export type YarnFinalStatus = 'UNDEFINED' | 'SUCCEEDED' | 'FAILED' | 'KILLED';

const APP_STATES: readonly YarnAppState[] = ['NEW', 'NEW_SAVING', 'SUBMITTED', 'ACCEPTED', 'RUNNING', 'FINISHED', 'FAILED', 'KILLED'];
const FINAL_STATUSES: readonly YarnFinalStatus[] = ['UNDEFINED', 'SUCCEEDED', 'FAILED', 'KILLED'];
const ENDED: ReadonlySet<YarnAppState> = new Set(['FINISHED', 'FAILED', 'KILLED']);

export interface YarnApp {
  appId: string;
  name?: string;
  state: YarnAppState;
  finalStatus: YarnFinalStatus;
  diagnostics: string;
  /** Epoch ms. */
  startedTime?: number;
  /** Epoch ms; 0 or undefined while the app runs. */
  finishedTime?: number;
}

export type YarnErrorKind = 'unreachable' | 'not-found' | 'bad-request' | 'auth' | 'server-error';

export class YarnError extends Error {
  override readonly name = 'YarnError';
  constructor(
    readonly kind: YarnErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ResourceManagerOptions {
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** PEM CA bundle for an HTTPS ResourceManager with a private CA. */
  ca?: string;
  /** Header sent on every request (e.g. Authorization). Never logged. */
  authHeader?: { name: string; value: string };
  /** Hadoop's simple HTTP auth: sent as `user.name`, which an RM wants before it accepts a kill. */
  user?: string;
  /** How long killApp keeps asking while the RM answers 202 (kill under way). Default 10 s. */
  killWaitMs?: number;
  /** Pause between those asks. Default 250 ms. */
  killPollMs?: number;
}

export interface KillOutcome {
  /** The app's state in the last answer. */
  state: YarnAppState;
  /** True once the RM reports the app ended (killed, or it had finished first). */
  ended: boolean;
}

/** The Livy-like state of an app, mapped the way Livy's own YARN monitor maps it. */
export type BatchStateFromYarn = 'running' | 'success' | 'dead' | 'killed';

export function batchStateFromYarn(app: Pick<YarnApp, 'state' | 'finalStatus'>): BatchStateFromYarn {
  switch (app.state) {
    case 'FINISHED':
      if (app.finalStatus === 'SUCCEEDED') return 'success';
      if (app.finalStatus === 'KILLED') return 'killed';
      // FAILED, or a final status YARN should not report for a finished app: Livy calls both failed.
      return 'dead';
    case 'FAILED':
      return 'dead';
    case 'KILLED':
      return 'killed';
    default:
      return 'running';
  }
}

interface RawApp {
  id?: unknown;
  name?: unknown;
  state?: unknown;
  finalStatus?: unknown;
  diagnostics?: unknown;
  applicationTags?: unknown;
  startedTime?: unknown;
  finishedTime?: unknown;
}

export class ResourceManagerClient {
  private readonly origin: string;
  private readonly basePath: string;

  constructor(
    readonly rmUrl: string,
    private readonly dispatcher: Dispatcher,
    private readonly options: ResourceManagerOptions = {},
  ) {
    const url = new URL(rmUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  /**
   * The newest app carrying the tag, or undefined. YARN stores tags lowercased, so the tag is
   * asked for and compared case-insensitively; apps the RM returns without the tag are ignored
   * (an RM that does not know the filter returns every app).
   */
  async findAppByTag(tag: string): Promise<YarnApp | undefined> {
    const wanted = tag.trim().toLowerCase();
    const body = await this.call<{ apps?: { app?: unknown } | null }>('GET', `/ws/v1/cluster/apps?applicationTags=${encodeURIComponent(wanted)}`, `find the YARN app tagged ${tag}`);
    // Jersey writes an empty collection as {"apps": null}.
    const listed: unknown = body?.apps === null ? [] : body?.apps?.app;
    if (!Array.isArray(listed)) {
      throw new YarnError('server-error', `find the YARN app tagged ${tag}: ${this.rmUrl} answered something that is not an apps listing`);
    }
    const apps = (listed as RawApp[])
      .filter((raw: RawApp) => typeof raw?.applicationTags === 'string' && raw.applicationTags.split(',').some((t) => t.trim().toLowerCase() === wanted))
      .map((raw: RawApp) => this.toApp(raw, tag));
    return apps.sort(newestFirst)[0];
  }

  /**
   * Asks the RM to kill the app (PUT {"state":"KILLED"}). The RM answers 202 while the kill is
   * under way and 200 once the app has ended, so the PUT is repeated until 200 or killWaitMs.
   */
  async killApp(appId: string): Promise<KillOutcome> {
    const deadline = Date.now() + (this.options.killWaitMs ?? 10_000);
    for (;;) {
      const { status, body } = await this.request<{ state?: unknown }>('PUT', `/ws/v1/cluster/apps/${encodeURIComponent(appId)}/state`, `kill YARN app ${appId}`, { state: 'KILLED' });
      const state = readState(body?.state, `kill YARN app ${appId}`, this.rmUrl);
      const ended = status === 200 && ENDED.has(state);
      if (ended || Date.now() >= deadline) return { state, ended };
      await new Promise((resolve) => setTimeout(resolve, this.options.killPollMs ?? 250));
    }
  }

  private toApp(raw: RawApp, tag: string): YarnApp {
    const what = `find the YARN app tagged ${tag}`;
    if (typeof raw.id !== 'string') throw new YarnError('server-error', `${what}: an app without an id in ${this.rmUrl}'s answer`);
    const finalStatus = raw.finalStatus === undefined ? 'UNDEFINED' : raw.finalStatus;
    if (!(FINAL_STATUSES as readonly unknown[]).includes(finalStatus)) {
      throw new YarnError('server-error', `${what}: app ${raw.id} has an unknown final status ${String(finalStatus)}`);
    }
    return {
      appId: raw.id,
      ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
      state: readState(raw.state, what, this.rmUrl),
      finalStatus: finalStatus as YarnFinalStatus,
      diagnostics: typeof raw.diagnostics === 'string' ? raw.diagnostics : '',
      ...(typeof raw.startedTime === 'number' ? { startedTime: raw.startedTime } : {}),
      ...(typeof raw.finishedTime === 'number' ? { finishedTime: raw.finishedTime } : {}),
    };
  }

  private async call<T>(method: 'GET' | 'PUT', path: string, what: string, body?: unknown): Promise<T> {
    return (await this.request<T>(method, path, what, body)).body;
  }

  private async request<T>(method: 'GET' | 'PUT', path: string, what: string, body?: unknown): Promise<{ status: number; body: T }> {
    const timeout = this.options.requestTimeoutMs ?? 15_000;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.authHeader) headers[this.options.authHeader.name.toLowerCase()] = this.options.authHeader.value;
    const user = this.options.user ? `${path.includes('?') ? '&' : '?'}user.name=${encodeURIComponent(this.options.user)}` : '';
    let status: number;
    let text: string;
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: this.basePath + path + user,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new YarnError('unreachable', `${what}: ${this.rmUrl} did not answer (${code ?? (err as Error).message})`);
    }
    if (status < 200 || status >= 300) throw new YarnError(kindOf(status), `${what}: the ResourceManager answered ${status} ${remoteMessage(text)}`.trim(), status);
    try {
      return { status, body: (text ? JSON.parse(text) : undefined) as T };
    } catch {
      throw new YarnError('server-error', `${what}: the ResourceManager answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`, status);
    }
  }
}

function kindOf(status: number): YarnErrorKind {
  if (status === 404) return 'not-found';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'server-error';
  return 'bad-request';
}

function readState(value: unknown, what: string, rmUrl: string): YarnAppState {
  if ((APP_STATES as readonly unknown[]).includes(value)) return value as YarnAppState;
  throw new YarnError('server-error', `${what}: ${rmUrl} answered an unknown app state ${String(value)}`);
}

/** YARN's error body is a RemoteException; its message is the useful part. */
function remoteMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { RemoteException?: { message?: unknown } })?.RemoteException?.message;
    if (typeof message === 'string') return message.slice(0, 500);
  } catch {
    // not JSON: the raw text
  }
  return text.slice(0, 500);
}

/** Newest first by start time, then by application id (cluster start, then submission number). */
function newestFirst(a: YarnApp, b: YarnApp): number {
  const byStart = (b.startedTime ?? 0) - (a.startedTime ?? 0);
  if (byStart !== 0) return byStart;
  const [aCluster, aNumber] = idParts(a.appId);
  const [bCluster, bNumber] = idParts(b.appId);
  return bCluster - aCluster || bNumber - aNumber;
}

function idParts(appId: string): [number, number] {
  const match = /_(\d+)_(\d+)$/.exec(appId);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

/** One client (and one keep-alive pool) per ResourceManager, shared by every activity in the worker. */
export class ResourceManagers extends ClientPools<ResourceManagerClient> {
  constructor(options: ResourceManagerOptions = {}) {
    super({ connections: 4, connectTimeoutMs: options.connectTimeoutMs, ca: options.ca }, (rmUrl, pool) => new ResourceManagerClient(rmUrl, pool, options));
  }
}
