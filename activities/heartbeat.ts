/** Keeps a long activity's heartbeat going while it awaits something that cannot heartbeat itself. */
import { Context } from '@temporalio/activity';

export async function whileHeartbeating<T>(intervalMs: number, details: () => unknown, work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
