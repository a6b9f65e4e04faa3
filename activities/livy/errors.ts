/** What can go wrong talking to Livy, as typed errors the workflow classifies (rule 3). */
import { ErrorType } from '../../contract';

export type LivyErrorKind = 'capacity' | 'duplicate-name' | 'not-found' | 'unreachable' | 'bad-request' | 'auth' | 'server-error';

const ERROR_TYPE_BY_KIND: Record<LivyErrorKind, ErrorType> = {
  capacity: ErrorType.LivyCapacity,
  'duplicate-name': ErrorType.LivyDuplicateName,
  'not-found': ErrorType.LivyNotFound,
  unreachable: ErrorType.LivyUnreachable,
  'bad-request': ErrorType.LivyBadRequest,
  auth: ErrorType.LivyAuth,
  'server-error': ErrorType.LivyServerError,
};

/**
 * How Livy worded an error body (LIVY.md): `{"msg": ...}` for most, a bare JSON string when its
 * JSON mapper refused the request body (unknown field, malformed JSON), anything else as text.
 */
export type LivyBodyForm = 'msg' | 'string' | 'text';

export interface LivyErrorBody {
  form: LivyBodyForm;
  text: string;
}

/** What became of the batch a rejected POST left registered (LivyClient.createBatch). */
export type FailedStartLeftover = 'deleted' | 'remains' | 'unknown';

export class LivyError extends Error {
  override readonly name = 'LivyError';
  constructor(
    readonly kind: LivyErrorKind,
    message: string,
    readonly status?: number,
    /** The body's form, for answers Livy sent (undefined when it sent none). */
    readonly bodyForm?: LivyBodyForm,
    /** Set on a rejected POST that Livy registered anyway. */
    readonly leftover?: FailedStartLeftover,
  ) {
    super(message);
  }

  get errorType(): ErrorType {
    return ERROR_TYPE_BY_KIND[this.kind];
  }
}

export function isLivyError(err: unknown, kind?: LivyErrorKind): err is LivyError {
  return err instanceof LivyError && (kind === undefined || err.kind === kind);
}

const MAX_MESSAGE_CHARS = 500;

/** Reads an error body in any of Livy's forms (0.7 and 0.9 alike). */
export function readErrorBody(body: string): LivyErrorBody {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'string') return { form: 'string', text: parsed.slice(0, MAX_MESSAGE_CHARS) };
    const msg = (parsed as { msg?: unknown } | null)?.msg;
    if (typeof msg === 'string') return { form: 'msg', text: msg.slice(0, MAX_MESSAGE_CHARS) };
  } catch {
    // not JSON: the raw text below
  }
  return { form: 'text', text: body.slice(0, MAX_MESSAGE_CHARS) };
}

// Livy's stable texts. 0.9 prefixes rejections with "Rejected, Reason: " and 0.7 does not, so
// each is matched anywhere in the message, never anchored to a prefix.
const TOO_MANY_SESSIONS = /too many sessions/i;
const DUPLICATE_NAME = /Duplicate session name/i;
const INVALID_NAME = /Invalid session name/i;

/** Maps an HTTP answer to an error kind, reading Livy's texts (LIVY.md). */
export function livyErrorFromResponse(status: number, body: string | LivyErrorBody, what: string): LivyError {
  const { form, text } = typeof body === 'string' ? { form: 'msg' as const, text: body } : body;
  const message = `${what}: Livy answered ${status} ${text}`.trim();
  const error = (kind: LivyErrorKind) => new LivyError(kind, message, status, form);
  if (status === 400 && TOO_MANY_SESSIONS.test(text)) return error('capacity');
  if (status === 400 && DUPLICATE_NAME.test(text)) return error('duplicate-name');
  if (status === 404) return error('not-found');
  if (status === 401 || status === 403) return error('auth');
  if (status >= 500) return error('server-error');
  return error('bad-request');
}

/**
 * Whether a rejected POST may still have left a batch behind (LIVY.md: a failed start registers
 * first: a file outside the whitelist, a missing file, a blacklisted conf). Only rejections
 * that happen before registration are ruled out: capacity (checked before the body is read),
 * the JSON mapper's bare-string refusals, and the name checks.
 */
export function mayHaveRegisteredBatch(err: LivyError): boolean {
  if (err.kind !== 'bad-request' || err.status !== 400) return false;
  if (err.bodyForm === 'string') return false;
  return !INVALID_NAME.test(err.message);
}
