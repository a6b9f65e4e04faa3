/**
 * The demo's HTTP scene: a job submitted the way a Python service or an Airflow task does it, over
 * the HTTP API with plain requests (no Shale library). The submit carries an Idempotency-Key and
 * is sent twice, showing that the repeat returns the same job (201, then 200); then one long poll
 * (`GET /v1/jobs/{id}/wait`) holds the request until the job ends.
 */
import { z } from 'zod';
import { isTerminalJobState, type JobStatus } from '../../contract';
import { jobStatusSchema } from '../../contract/statusSchema';
import { submitAnswerSchema } from '../../api/schemas';

export interface HttpTarget {
  url: string;
  token: string;
}

export interface HttpSubmit {
  jobId: string;
  /** HTTP status of the first submit and of the repeat with the same key (201 and 200 when all is well). */
  firstStatus: number;
  repeatStatus: number;
  repeatJobId: string;
}

export class HttpSceneError extends Error {
  override readonly name = 'HttpSceneError';
}

/** Long polls are held this long at most (the API allows up to 300 s); a job still running afterwards is polled again. */
const WAIT_SECONDS = 60;

async function call<T>(target: HttpTarget, method: string, path: string, schema: z.ZodType<T>, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (!response.ok) {
    // A problem document (api/problem.ts): its detail and field errors say what was wrong.
    let detail = text.slice(0, 500);
    try {
      const problem = JSON.parse(text) as { detail?: string; errors?: Array<{ field: string; message: string }> };
      detail = [problem.detail, ...(problem.errors ?? []).map((e) => `${e.field}: ${e.message}`)].filter(Boolean).join('; ');
    } catch {
      // Not JSON: the start of the body is the best there is.
    }
    throw new HttpSceneError(`${method} ${path}: ${response.status} ${detail}`);
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new HttpSceneError(`${method} ${path}: the answer does not match the API's schema: ${parsed.error.message}`);
  return { status: response.status, body: parsed.data };
}

export async function submitOverHttp(target: HttpTarget, spec: Record<string, unknown>, idempotencyKey: string): Promise<HttpSubmit> {
  const send = () => call(target, 'POST', '/v1/jobs', submitAnswerSchema, { body: spec, headers: { 'idempotency-key': idempotencyKey } });
  const first = await send();
  const repeat = await send();
  return { jobId: first.body.jobId, firstStatus: first.status, repeatStatus: repeat.status, repeatJobId: repeat.body.jobId };
}

/** Holds long polls until the job ends; answers with its final status and how many requests that took. */
export async function waitOverHttp(target: HttpTarget, jobId: string): Promise<{ status: JobStatus; polls: number }> {
  for (let polls = 1; ; polls++) {
    const { body } = await call(target, 'GET', `/v1/jobs/${encodeURIComponent(jobId)}/wait?timeout=${WAIT_SECONDS}`, jobStatusSchema);
    if (isTerminalJobState(body.state)) return { status: body as JobStatus, polls };
  }
}
