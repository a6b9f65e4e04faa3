/**
 * One client per endpoint, each over its own keep-alive pool, shared by every activity in the
 * worker: the Livy clients and the YARN ResourceManager clients are both built this way.
 */
import { Pool } from 'undici';

export interface PoolOptions {
  connections: number;
  connectTimeoutMs?: number;
  /** PEM CA bundle for HTTPS endpoints with a private CA. */
  ca?: string;
}

export class ClientPools<C> {
  private readonly clients = new Map<string, C>();
  private readonly pools: Pool[] = [];

  constructor(
    private readonly options: PoolOptions,
    private readonly create: (url: string, pool: Pool) => C,
  ) {}

  for(url: string): C {
    let client = this.clients.get(url);
    if (!client) {
      const pool = new Pool(new URL(url).origin, {
        connections: this.options.connections,
        keepAliveTimeout: 30_000,
        connect: { timeout: this.options.connectTimeoutMs ?? 5_000, ...(this.options.ca ? { ca: this.options.ca } : {}) },
      });
      this.pools.push(pool);
      client = this.create(url, pool);
      this.clients.set(url, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
}
