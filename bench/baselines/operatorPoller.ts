/**
 * What Airflow's LivyOperator does from each task: POST the batch, then GET its state every poll
 * interval, each request through a fresh HTTP session (a new TCP connection, no keep-alive).
 */
import { request } from 'node:http';

export function httpNoKeepAlive(method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      { method, agent: false, headers: { 'content-type': 'application/json', 'x-requested-by': 'airflow', connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** One operator task per job; stop() ends every poll loop. */
export class OperatorPollers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  async start(livyUrl: string, name: string, conf: Record<string, string>, pollMs: number): Promise<number> {
    const { status, json } = await httpNoKeepAlive('POST', `${livyUrl}/batches`, { file: 's3://bench/app.py', name, conf });
    if (status !== 201) throw new Error(`POST ${name}: ${status}`);
    const id = json.id as number;
    const poll = () => {
      if (this.stopped) return;
      const timer = setTimeout(async () => {
        this.timers.delete(timer);
        const { json: batch } = await httpNoKeepAlive('GET', `${livyUrl}/batches/${id}`).catch(() => ({ json: undefined }));
        if (!['success', 'dead', 'killed'].includes(batch?.state)) poll();
      }, pollMs);
      this.timers.add(timer);
    };
    poll();
    return id;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
  }
}
