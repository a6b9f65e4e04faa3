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
      await abortableDelay(Math.ceil(((1 - bucket.tokens) / this.options.perSecond) * 1000), signal);
    }
  }
}

/** setTimeout that gives up when `signal` aborts (a cancelled submit stops waiting for a token). */
function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
