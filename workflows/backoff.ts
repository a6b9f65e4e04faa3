/**
 * Exponential backoff with full jitter and a cap, computed inside the workflow: the workflow's
 * Math.random is seeded per execution, so a replay computes the same delays.
 */
export function backoffSeconds(retryNumber: number, initialSeconds: number, maxSeconds: number, random: () => number): number {
  const exponent = Math.min(Math.max(retryNumber - 1, 0), 30);
  const ceiling = Math.min(maxSeconds, initialSeconds * 2 ** exponent);
  // Full jitter, but never under one second: a zero delay would hammer a struggling cluster.
  return Math.max(1, Math.round(random() * ceiling));
}
