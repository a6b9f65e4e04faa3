/**
 * The listening socket of one simulated Livy: it can go away (connections refused, open ones
 * reset) and come back on the same port, like a Livy process that restarts or a cluster that dies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const BIND_ATTEMPTS = 20;
const BIND_RETRY_MS = 25;

export class Listener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly handler: RequestHandler) {}

  get listening(): boolean {
    return this.server !== null;
  }

  /** Listens on host:port (port 0 = ephemeral); resolves with the bound port. */
  async listen(host: string, port: number): Promise<number> {
    if (this.server) throw new Error('already listening');
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.tryListen(host, port);
      } catch (err) {
        // Rebinding the port we just released can race the kernel for a moment.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || port === 0 || attempt >= BIND_ATTEMPTS) throw err;
        await new Promise<void>((resolve) => setTimeout(resolve, BIND_RETRY_MS * attempt).unref());
      }
    }
  }

  private tryListen(host: string, port: number): Promise<number> {
    const server = createServer(this.handler);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => {
        server.close();
        reject(err);
      };
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        this.server = server;
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /**
   * Stops accepting connections and resets every open one except `spare` (the admin request
   * that asked for a restart still gets its answer). Resolves once the port is released.
   */
  async close(opts: { spare?: Socket } = {}): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) {
      if (socket !== opts.spare) socket.destroy();
    }
    // The listening handle is released synchronously by close(); only wait for the
    // connections when none is spared.
    if (!opts.spare) await closed;
  }
}
