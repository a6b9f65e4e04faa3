/** Per-cluster submission rate limit (token bucket), so a burst of jobs never floods one Livy. */
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

  /** Resolves when a submission to the cluster may go out. */
  async take(clusterId: string): Promise<void> {
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
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - bucket.tokens) / this.options.perSecond) * 1000)));
    }
  }
}
