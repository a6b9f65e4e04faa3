/**
 * Errors as RFC 9457 problem details (`application/problem+json`), everywhere: a `type` naming the
 * kind of problem, a `title` for people, the HTTP `status`, a `detail` saying what exactly was
 * wrong, and where it helps, field-level `errors` (an invalid spec or parameter) or the `differing`
 * fields of an idempotency conflict.
 */
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const fieldErrorSchema = z.object({ field: z.string(), message: z.string() }).meta({ id: 'FieldError' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(fieldErrorSchema).optional(),
    differing: z.array(z.string()).optional(),
    jobId: z.string().optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthenticated', 'Unauthenticated'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Request body too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['invalid', 'Unprocessable content'],
  429: ['rate-limited', 'Too many requests'],
  500: ['internal', 'Internal server error'],
  501: ['not-implemented', 'Not implemented'],
  503: ['unavailable', 'Service unavailable'],
};

/** An error a route throws to answer with a problem. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: Omit<Partial<Problem>, 'status' | 'detail'> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function problem(status: number, detail: string, extra: Omit<Partial<Problem>, 'status' | 'detail'> = {}): Problem {
  const [slug, title] = TITLES[status] ?? ['error', 'Error'];
  return { type: `urn:shale:problem:${extra.type ?? slug}`, title: extra.title ?? title, status, detail, ...omit(extra, ['type', 'title']) };
}

function omit<T extends object>(value: T, keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([k, v]) => !keys.includes(k) && v !== undefined)) as Partial<T>;
}

/** Response entries for the problem statuses a route may answer with (for the OpenAPI document and serialization). */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: TITLES[status]?.[1] ?? 'Error', content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } },
    ]),
  );
}
