/**
 * A per-IP budget for requests that carry no valid token. @fastify/rate-limit counts authenticated
 * requests against their principal; a caller without a principal (no token, or a wrong one) is
 * counted here instead, so guessing tokens is slow: once an address has used up its failures for the
 * window, its requests are answered 429 before any token is checked, a right one included.
 */

export interface AuthFailureLimits {
  /** Failed or missing-token requests an address may make per window. */
  max: number;
  windowSeconds: number;
}

/** Addresses remembered at most; the oldest window is forgotten first (a flood of addresses cannot grow memory). */
const MAX_TRACKED_ADDRESSES = 100_000;

export interface AuthFailureLimiter {
  /** Seconds until the address may try again, or undefined while it is within its budget. */
  blockedFor(address: string): number | undefined;
  /** Counts one request from the address that had no valid token. */
  recordFailure(address: string): void;
}

export function createAuthFailureLimiter(limits: AuthFailureLimits, now: () => number = Date.now): AuthFailureLimiter {
  const windows = new Map<string, { failures: number; resetsAt: number }>();
  const current = (address: string) => {
    const entry = windows.get(address);
    if (entry && entry.resetsAt <= now()) {
      windows.delete(address);
      return undefined;
    }
    return entry;
  };
  return {
    blockedFor(address) {
      const entry = current(address);
      if (!entry || entry.failures < limits.max) return undefined;
      return Math.max(1, Math.ceil((entry.resetsAt - now()) / 1000));
    },
    recordFailure(address) {
      const entry = current(address);
      if (entry) {
        entry.failures++;
        return;
      }
      if (windows.size >= MAX_TRACKED_ADDRESSES) windows.delete(windows.keys().next().value!);
      windows.set(address, { failures: 1, resetsAt: now() + limits.windowSeconds * 1000 });
    },
  };
}
