/**
 * Page tokens as the API hands them out: Temporal's visibility token, bound to the query it pages
 * and checksummed. Temporal is not asked about a token that does not check out (a made-up or
 * truncated one; one of another query): such a token can make the visibility call hang until its
 * deadline, so it is refused at once with a 400 instead. Not a secret and not a signature: a token
 * reveals nothing but a position in a list the caller may read anyway.
 */
import { createHash } from 'node:crypto';

function checksum(inner: string, binding: string): string {
  return createHash('sha256').update(`${binding}\n${inner}`).digest('base64url').slice(0, 16);
}

/** `binding` names what the token pages (the principal's teams and the filters). */
export function wrapPageToken(temporalToken: string, binding: string): string {
  return `${temporalToken}.${checksum(temporalToken, binding)}`;
}

/** Temporal's token, or undefined when the token was not made by wrapPageToken for this binding. */
export function unwrapPageToken(token: string, binding: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const inner = token.slice(0, dot);
  return checksum(inner, binding) === token.slice(dot + 1) ? inner : undefined;
}
