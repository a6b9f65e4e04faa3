/** startLivySimulator(): one simulated Livy server (one per simulated cluster). */
import type { Socket } from 'node:net';
import { BatchStore } from './batches.js';
import { APP_PAGES_PREFIX, createDispatcher } from './dispatch.js';
import { FaultState } from './faults.js';
import { Listener } from './listener.js';
import { RequestLog } from './requestLog.js';
import { TimerSet } from './timers.js';
import type { Faults, LivySimulator, LivySimulatorOptions, RequestLogEntry, RequestLogFilter, TerminalState } from './types.js';
import { YarnCluster } from './yarn.js';

export const DEFAULTS = {
  host: '127.0.0.1',
  name: 'livy',
  retainMs: 600_000,
  maxInFlightSubmits: 100,
  defaultDurationMs: 2_000,
  startingMs: 200,
  livyVersion: '0.7',
  /** EMR's fs.defaultFS is HDFS: a plain path there is never a local file. */
  defaultFs: 'hdfs://simulated-namenode:8020',
} as const;

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

class Simulator implements LivySimulator {
  private readonly host: string;
  private readonly name: string;
  private readonly store: BatchStore;
  private readonly yarn = new YarnCluster();
  private readonly faults = new FaultState();
  private readonly requestLog = new RequestLog();
  private readonly networkTimers = new TimerSet();
  private readonly listener: Listener;
  private boundPort: number;
  private closed = false;
  /** Lifecycle operations (start/stop/restart/close) run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: LivySimulatorOptions) {
    this.host = opts.host ?? DEFAULTS.host;
    this.name = opts.name ?? DEFAULTS.name;
    this.boundPort = opts.port ?? 0;
    const startingMs = opts.startingMs ?? DEFAULTS.startingMs;
    this.store = new BatchStore({
      retainMs: opts.retainMs ?? DEFAULTS.retainMs,
      maxInFlightSubmits: opts.maxInFlightSubmits ?? DEFAULTS.maxInFlightSubmits,
      recoveringMs: opts.recoveringMs ?? startingMs,
      defaults: { startingMs, durationMs: opts.defaultDurationMs ?? DEFAULTS.defaultDurationMs },
      livyVersion: opts.livyVersion ?? DEFAULTS.livyVersion,
      localDirWhitelist: opts.localDirWhitelist ?? [],
      confBlacklist: opts.confBlacklist ?? [],
      defaultFs: opts.defaultFs ?? DEFAULTS.defaultFs,
      yarn: this.yarn,
      appUrls: (appId) => ({
        sparkUiUrl: `${this.url}${APP_PAGES_PREFIX}${appId}/spark-ui`,
        driverLogUrl: `${this.url}${APP_PAGES_PREFIX}${appId}/driver-log`,
      }),
    });
    const dispatch = createDispatcher({
      name: this.name,
      csrf: opts.csrf ?? false,
      store: this.store,
      yarn: this.yarn,
      faults: this.faults,
      requestLog: this.requestLog,
      timers: this.networkTimers,
      restart: (restartOpts, spare) => this.serialize(() => this.doRestart(restartOpts, spare)),
    });
    this.listener = new Listener((req, res) => void dispatch(req, res));
  }

  get url(): string {
    return `http://${urlHost(this.host)}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  setFaults(f: Partial<Faults>): void {
    this.faults.set(f);
  }

  requests(filter?: RequestLogFilter): RequestLogEntry[] {
    return this.requestLog.list(filter);
  }

  clearRequests(): void {
    this.requestLog.clear();
  }

  expireFinished(): number {
    return this.store.expireFinished();
  }

  finish(idOrName: number | string, state: TerminalState): boolean {
    const batch = this.store.find(String(idOrName));
    if (!batch) throw new Error(`livy-sim: no batch ${idOrName}`);
    return this.store.forceFinish(batch, state);
  }

  start(): Promise<void> {
    return this.serialize(async () => {
      if (this.closed) throw new Error('livy-sim: closed');
      if (this.listener.listening) return;
      this.loseCluster();
      await this.listen();
    });
  }

  stop(): Promise<void> {
    return this.serialize(async () => {
      await this.goDown();
      this.loseCluster();
    });
  }

  restart(opts: { keepState: boolean; crash?: boolean }): Promise<void> {
    return this.serialize(() => this.doRestart({ keepState: opts.keepState, crash: opts.crash ?? false }));
  }

  close(): Promise<void> {
    return this.serialize(async () => {
      this.closed = true;
      await this.goDown();
      this.loseCluster();
    });
  }

  /** The whole cluster is gone: Livy's batches and YARN's apps (ids of both start over). */
  private loseCluster(): void {
    this.store.forgetAll('crash');
    this.yarn.reset();
  }

  /** First start: listen (the port may be ephemeral). */
  listenFirst(): Promise<void> {
    return this.serialize(() => this.listen());
  }

  private async listen(): Promise<void> {
    this.boundPort = await this.listener.listen(this.host, this.boundPort);
    this.store.startCollecting();
  }

  private async goDown(spare?: Socket): Promise<void> {
    await this.listener.close({ spare });
    this.networkTimers.cancelAll();
    this.store.halt();
  }

  /** A Livy restart on a cluster that stays: YARN, and its apps, are untouched unless Livy kills them. */
  private async doRestart(opts: { keepState: boolean; crash: boolean }, spare?: Socket): Promise<void> {
    if (this.closed) throw new Error('livy-sim: closed');
    const wasListening = this.listener.listening;
    await this.goDown(spare);
    if (opts.keepState) this.store.recover();
    else this.store.forgetAll(opts.crash ? 'crash' : 'graceful');
    if (wasListening) await this.listen();
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export async function startLivySimulator(opts: LivySimulatorOptions = {}): Promise<LivySimulator> {
  const simulator = new Simulator(opts);
  await simulator.listenFirst();
  return simulator;
}
