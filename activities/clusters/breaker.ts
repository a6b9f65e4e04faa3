/**
 * Per-cluster circuit breaker: consecutive infra failures open it (routing then skips the
 * cluster); after a cool-down it is half-open, and a successful probe or submission closes it.
 */
export interface BreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
}

interface BreakerState {
  failures: number;
  openedAt?: number;
}

export type BreakerPosition = 'closed' | 'open' | 'half-open';

export class CircuitBreakers {
  private readonly states = new Map<string, BreakerState>();

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  position(clusterId: string): BreakerPosition {
    const state = this.states.get(clusterId);
    if (state?.openedAt === undefined) return 'closed';
    return this.now() - state.openedAt < this.options.coolDownMs ? 'open' : 'half-open';
  }

  /** When an open breaker lets traffic through again. */
  reopensAt(clusterId: string): number | undefined {
    const openedAt = this.states.get(clusterId)?.openedAt;
    return openedAt === undefined ? undefined : openedAt + this.options.coolDownMs;
  }

  recordFailure(clusterId: string): void {
    const state = this.states.get(clusterId) ?? { failures: 0 };
    state.failures++;
    // A failure while half-open re-opens at once; otherwise the threshold decides.
    if (state.openedAt !== undefined || state.failures >= this.options.failureThreshold) state.openedAt = this.now();
    this.states.set(clusterId, state);
  }

  recordSuccess(clusterId: string): void {
    this.states.delete(clusterId);
  }
}
