/** Public types of the Livy simulator. Other modules code against these names: keep them stable. */

/** Whose error texts the simulator answers with (LIVY.md): 0.9 prefixes rejections with "Rejected, Reason: ". */
export type LivyVersion = '0.7' | '0.9';

export interface LivySimulatorOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Label, e.g. 'spark3'. */
  name?: string;
  /**
   * Finished batches are collected this long after finishing (default 600_000, Livy's
   * `livy.server.session.state-retain.sec`). The sweep runs every min(60_000, retainMs/2).
   */
  retainMs?: number;
  /** When true, POST/DELETE on the batch API without X-Requested-By get 400. */
  csrf?: boolean;
  /** Batches in 'starting' at once before POST gets 400 "Rejected, too many sessions are being created!" (default 100). */
  maxInFlightSubmits?: number;
  /** Running time when the conf says nothing (default 2000). */
  defaultDurationMs?: number;
  /** Time spent in 'starting' before 'running' (default 200). */
  startingMs?: number;
  /** Time a batch shows 'recovering' after a restart with state (default: startingMs). */
  recoveringMs?: number;
  /** Default '0.7' (the version EMR 6.x ships). */
  livyVersion?: LivyVersion;
  /**
   * `livy.file.local-dir-whitelist` (default: none). A `file:` URI outside these directories is
   * a failed start: 400, yet the batch stays registered in 'starting' (LIVY.md).
   */
  localDirWhitelist?: string[];
  /** Conf keys of Livy's `spark-blacklist.conf` (default: none); using one is a failed start too. */
  confBlacklist?: string[];
  /**
   * Hadoop's `fs.defaultFS`, which a path without a scheme resolves against (default
   * `hdfs://simulated-namenode:8020`, as on EMR). With a `file:` default (a local-mode Livy), a plain
   * `/path` is a local file and must be in localDirWhitelist; a relative path is refused either way.
   */
  defaultFs?: string;
}

export interface Faults {
  /** Delay before a batch API request is handled, ms. */
  latencyMs: number;
  /** Fraction of batch API requests answered `errorStatus` {"msg":"simulated failure"}. */
  errorRate: number;
  /** The status errorRate answers with (default 500; e.g. 403 for an access check that fails). */
  errorStatus: number;
  /**
   * Fraction of batch API requests whose socket is destroyed without an answer; 1 makes Livy's
   * batch API unreachable while its apps run on and the ResourceManager endpoint still answers.
   */
  dropRate: number;
  /**
   * A lost answer: POST /batches is handled at once (the batch exists and the request is in the
   * log) but the HTTP answer is held back this long, ms (default 0). A client that times out and
   * retries must find the batch by name instead of creating a second one.
   */
  postAnswerDelayMs: number;
}

export interface RequestLogEntry {
  /** Date.now() at arrival, ms. */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** HTTP status answered; 0 when the connection was dropped by a fault. */
  status: number;
  batchId?: number;
  batchName?: string;
  /** Whether the request carried an Authorization header (its value is never recorded). */
  hasAuth: boolean;
  /** The server-side connection it arrived on, numbered from 1 per simulator: counts sockets (keep-alive). */
  connection: number;
}

export interface RequestLogFilter {
  method?: string;
  name?: string;
}

export interface LivySimulator {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Same as POST /admin/faults. */
  setFaults(f: Partial<Faults>): void;
  /**
   * Same port. Without state: all batches forgotten, id counter back to 0; a graceful restart
   * kills the running apps, a crash (`crash: true`) leaves them running in YARN, untracked, seen
   * only through the ResourceManager endpoint. With state: Livy recovery — running/starting
   * batches show 'recovering' for a moment then continue, successful ones show 'recovering' then
   * 'success', dead/killed ones are gone (404). Open connections are reset either way.
   */
  restart(opts: { keepState: boolean; crash?: boolean }): Promise<void>;
  /**
   * Livy forgets its finished batches now, as when `livy.server.session.state-retain.sec` runs
   * out (same as POST /admin/expire); YARN still knows their apps. Returns how many were dropped.
   */
  expireFinished(): number;
  /** Stop listening, keep nothing (Livy and YARN alike); connections are refused afterwards (a dead cluster). */
  stop(): Promise<void>;
  /** Listen again on the same port after stop() (empty state, ids from 0). */
  start(): Promise<void>;
  requests(filter?: RequestLogFilter): RequestLogEntry[];
  clearRequests(): void;
  /** Forces a batch's outcome now (same as POST /admin/batches/{id}/finish); false if it had already ended. */
  finish(idOrName: number | string, state: TerminalState): boolean;
  /** Final shutdown, also closes keep-alive sockets. */
  close(): Promise<void>;
}

export type BatchState =
  | 'starting'
  | 'running'
  | 'recovering'
  | 'success'
  | 'dead'
  | 'killed';

export type TerminalState = 'success' | 'dead' | 'killed';

export const TERMINAL_STATES: readonly TerminalState[] = ['success', 'dead', 'killed'];

export function isTerminal(state: BatchState): state is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

/** The Batch object of Livy's REST API (BatchSessionView). */
export interface BatchView {
  id: number;
  name: string | null;
  owner: string | null;
  proxyUser: string | null;
  state: BatchState;
  appId: string | null;
  appInfo: {
    driverLogUrl: string | null;
    sparkUiUrl: string | null;
    /** 0.8+ only: 0.7.1 has no such key (seen on 0.7.1). */
    executorLogUrls?: string | null;
  };
  log: string[];
}
