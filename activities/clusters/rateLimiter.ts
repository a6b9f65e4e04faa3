/** Per-cluster submission rate limit (token bucket), so a burst of jobs never floods one Livy. */
import { setTimeout as delay } from 'node:timers/promises';

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class SubmissionRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Resolves when a submission to the cluster may go out; rejects once `signal` aborts (the submit was cancelled or ran out of time). */
  async take(clusterId: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      const bucket = this.buckets.get(clusterId) ?? { tokens: this.options.burst, updatedAt: now };
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.options.perSecond);
      bucket.updatedAt = now;
      this.buckets.set(clusterId, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      signal?.throwIfAborted();
      await delay(Math.ceil(((1 - bucket.tokens) / this.options.perSecond) * 1000), undefined, { signal });
    }
  }
}
