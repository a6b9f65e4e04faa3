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

export class LivyError extends Error {
  override readonly name = 'LivyError';
  constructor(
    readonly kind: LivyErrorKind,
    message: string,
    readonly status?: number,
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

/** Maps an HTTP answer to an error kind, reading Livy's exact `msg` texts (LIVY.md). */
export function livyErrorFromResponse(status: number, msg: string, what: string): LivyError {
  const text = `${what}: Livy answered ${status} ${msg}`.trim();
  if (status === 400 && /too many sessions/i.test(msg)) return new LivyError('capacity', text, status);
  if (status === 400 && /Duplicate session name/i.test(msg)) return new LivyError('duplicate-name', text, status);
  if (status === 404) return new LivyError('not-found', text, status);
  if (status === 401 || status === 403) return new LivyError('auth', text, status);
  if (status >= 500) return new LivyError('server-error', text, status);
  return new LivyError('bad-request', text, status);
}
