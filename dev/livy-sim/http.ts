/** Small HTTP helpers shared by the batch and admin APIs: answers, bodies, Java-style ints. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler decides; the dispatcher writes it and logs it. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Filled in when the answer reveals which batch the request was about. */
  batchId?: number;
  batchName?: string;
}

/** What Livy's Jetty answers with, on every batch API answer (seen on 0.7.1). */
export const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';

export function message(status: number, msg: string, extra: Partial<Answer> = {}): Answer {
  return { ...extra, status, body: { msg } };
}

export function json(status: number, body: unknown, extra: Partial<Answer> = {}): Answer {
  return { ...extra, status, body };
}

/** Scalatra's own 404 and 405 (no route, or a method the route lacks): an empty body (seen on 0.7.1). */
export function empty(status: number, headers: Record<string, string> = {}): Answer {
  return { status, body: undefined, headers };
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

export function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.headersSent) return;
  const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
    ...answer.headers,
  });
  res.end(payload);
}

/** Java's NumberFormatException, which Livy turns into 400 {"msg": "For input string: ..."}. */
export class NumberFormatError extends Error {
  constructor(input: string) {
    super(`For input string: "${input}"`);
  }
}

/** Integer.parseInt, as Livy's `_.toInt` on a query parameter or path segment. */
export function parseJavaInt(input: string): number {
  if (!/^[+-]?\d+$/.test(input)) throw new NumberFormatError(input);
  const n = Number(input);
  if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw new NumberFormatError(input);
  return n;
}

/** Livy's ids are all-digit segments; anything else is a session name. */
export function isAllDigits(segment: string): boolean {
  return /^\d*$/.test(segment);
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
