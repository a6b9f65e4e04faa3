/** Timers that never keep the process alive and can all be cancelled at once. */

export class TimerSet {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs fn once after ms; returns a handle for cancel(). */
  after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, Math.max(0, ms));
    timer.unref();
    this.pending.add(timer);
    return timer;
  }

  /** Runs fn every ms until cancelled. */
  every(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setInterval(fn, Math.max(1, ms));
    timer.unref();
    this.pending.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | null | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.pending.delete(timer);
  }

  cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }
}
