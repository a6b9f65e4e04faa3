/**
 * A server process of the production-shaped stack that a test can SIGKILL and start again on the
 * same ports and config (Temporal servers, Shale workers, the HTTP API). Its stdout and stderr are
 * appended to one log file per process, across restarts, so a test that failed can be read after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';

export interface ManagedProcess {
  name: string;
  pid: number;
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
  /** Starts it again, same ports and config; resolves when it serves. */
  start(): Promise<void>;
  running: boolean;
}

export interface ManagedChildOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Resolves once the process serves; `output()` is what it printed since this start (its tail). */
  ready(output: () => string): Promise<void>;
  readyTimeoutMs?: number;
}

/** How long a ManagedChild may take to become ready, unless its options say otherwise. */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;

/**
 * Fields of /proc/<pid>/stat after the command (which may hold spaces): [state, ppid, pgrp, ...].
 * A process that is not our child (PostgreSQL's postmaster, started by pg_ctl) is reaped by init,
 * which may take its time: until then it is a zombie, dead for our purposes, so `kill(pid, 0)` is
 * not enough.
 */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether a live (not zombie) process has this pid. */
export function pidAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat[0] !== 'Z';
}

/** Whether /proc has this pid at all, a zombie included (a zombie still holds its pid and locks on it). */
export function pidExists(pid: number): boolean {
  return procStat(pid) !== undefined;
}

/** Polls `condition` until it holds (true) or `timeoutMs` has passed (false). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** SIGKILLs each of `pids` that is still there (one already gone is the usual case, not an error). */
export function sigkillAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** The processes whose parent is `pid`. */
export function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => Number(procStat(child)?.[1]) === pid);
}

export class ManagedChild implements ManagedProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private log?: WriteStream;

  constructor(private readonly options: ManagedChildOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.log ??= createWriteStream(this.options.logFile, { flags: 'a' });
    this.log.write(`--- ${new Date().toISOString()} starting ${this.name}\n`);
    const child = spawn(this.options.command, this.options.args, {
      cwd: this.options.cwd,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches only the stack's script, which stops
      // the parts in order (the API, the workers draining, then the servers), not all of them at once.
      detached: true,
    });
    this.child = child;
    let output = '';
    const onData = (chunk: Buffer) => {
      this.log?.write(chunk);
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const died = this.exited.then(() => {
      throw new Error(`${this.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.slice(-3000)}`);
    });
    died.catch(() => undefined);
    const timeoutMs = this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${output.slice(-3000)}`)), timeoutMs);
    });
    try {
      await Promise.race([this.options.ready(() => output), died, timedOut]);
    } catch (err) {
      // A process that never became ready must not outlive the attempt.
      await this.kill();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** An orderly stop (SIGTERM, then SIGKILL after `graceMs`), for taking the stack down. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
      this.child!.kill('SIGTERM');
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }
}
