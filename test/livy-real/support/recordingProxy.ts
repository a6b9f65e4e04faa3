/**
 * A small HTTP proxy between the Shale worker and a real Livy that records every request, so a
 * test can assert what Shale sent (exactly one DELETE, nothing after a job's end) the way the
 * simulator's request log lets the e2e suite do. It stays up while Livy restarts: a request that
 * finds no Livy behind it has its connection dropped, which the worker sees as an unreachable
 * Livy, as it would without the proxy (a 502 from the proxy would read as Livy's own 5xx).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  /** When the request reached the proxy (epoch ms). */
  at: number;
  method: string;
  /** Path and query as sent, e.g. /batches/J-a1/log?from=0&size=1000. */
  path: string;
  /** Livy's status code; 'unreachable' when no Livy answered. */
  status: number | 'unreachable';
  /** A POST /batches body's `name`: the batch the request creates. */
  createsBatch?: string;
}

export interface RecordingProxy {
  url: string;
  /** Every request so far, oldest first. */
  requests(): RecordedRequest[];
  /** Requests about the batch: its POST, and those naming it (by name, or by id when given) in their path. */
  requestsFor(batch: { name: string; id?: number }): RecordedRequest[];
  /**
   * While false, every request has its connection dropped as if Livy were down, so a test can
   * extend an outage until it has arranged Livy's state (e.g. a batch of its own under a reused id).
   */
  setPassing(passing: boolean): void;
  close(): Promise<void>;
}

/** Whether the request's path addresses the batch: /batches/<name or id> and what lies under it. */
export function addressesBatch(path: string, batch: { name: string; id?: number }): boolean {
  const segment = decodeURIComponent(path.split('?')[0]!.split('/')[2] ?? '');
  return segment === batch.name || (batch.id !== undefined && segment === String(batch.id));
}

function nameIn(body: Buffer): string | undefined {
  try {
    const name: unknown = (JSON.parse(body.toString('utf8')) as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

export async function startRecordingProxy(livyUrl: string): Promise<RecordingProxy> {
  const target = new URL(livyUrl);
  const recorded: RecordedRequest[] = [];
  let passing = true;

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const entry: RecordedRequest = { at: Date.now(), method: incoming.method ?? 'GET', path: incoming.url ?? '/', status: 'unreachable' };
    recorded.push(entry);
    if (!passing) {
      incoming.socket.destroy();
      return;
    }
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: target.host } },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => {
      // Livy is down (stopped, restarting) or dropped the connection: so does the proxy.
      incoming.socket.destroy();
    });
    // The body is read whole (Livy's requests are small) so a POST can be told by the batch it creates.
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (entry.method === 'POST') entry.createsBatch = nameIn(body);
      upstream.end(body);
    });
  };

  const server: Server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...recorded],
    setPassing: (value) => {
      passing = value;
    },
    requestsFor: (batch) => recorded.filter((r) => r.createsBatch === batch.name || addressesBatch(r.path, batch)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
