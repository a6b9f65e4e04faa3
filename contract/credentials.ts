/**
 * What a credential looks like inside a job spec. A spec lands in workflow history, search
 * attributes and logs, so credentials live only in worker config; these checks refuse the common
 * ways one slips in anyway. Pure code: used by the contract and by the worker's config checks.
 */

/** Conf keys (and executorEnv/appMasterEnv variable names) that name a secret, anywhere in the key. */
const SECRET_KEY_NAME =
  /password|passwd|passphrase|secret|token|credential|api[._-]?key|access[._-]?key|session[._-]?key|private[._-]?key|account[._-]?key|encryption[._-]?key|keyfile|\.sas\./i;
/** Hadoop filesystem settings ending in `.key` are keys (fs.s3a.*.key, fs.azure.account.key.*). */
const FILESYSTEM_KEY = /(^|\.)fs\..*\.key(\.|$)/i;

export function namesSecret(confKey: string): boolean {
  return SECRET_KEY_NAME.test(confKey) || FILESYSTEM_KEY.test(confKey);
}

/** Presigned S3 / GCS URLs: the signature is a bearer credential until it expires. */
const SIGNED_URL = /x-(?:amz|goog)-(?:signature|credential|security-token)=/i;
/** Query or JDBC-style parameters that carry a secret (Azure SAS `sig=`, OAuth tokens, passwords). */
const SECRET_PARAMETER =
  /[?&;](access_token|id_token|refresh_token|auth_token|token|sig|signature|password|passwd|pwd|secret|client_secret|api_key|apikey)=[^&;#\s]/i;
const AWS_ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * A scheme (or a chain such as `jdbc:postgresql:`), then any slashes, then the authority. Greedy
 * and unanchored at the end, so it never backtracks: the groups are judged in code.
 */
const URL_AUTHORITY = /(?<![a-z0-9+.-])((?:[a-z][a-z0-9+.-]*:)+)([\\/]*)([^\s\\/?#]*)/gi;
/** WHATWG URL parsing reads `http:/u:p@h` and `http:u:p@h` as userinfo for these, whatever the slashes. */
const SPECIAL_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file']);
/** Azure storage URIs name a container before the @ (abfss://container@account...): only container:key@ is a credential. */
const CONTAINER_AT_ACCOUNT_SCHEMES = new Set(['abfs', 'abfss', 'wasb', 'wasbs']);

function hasUserinfo(text: string): boolean {
  for (const [, schemes, slashes, authority] of text.matchAll(URL_AUTHORITY)) {
    const at = authority!.lastIndexOf('@');
    if (at < 0) continue;
    const scheme = schemes!.slice(0, schemes!.indexOf(':')).toLowerCase();
    if (CONTAINER_AT_ACCOUNT_SCHEMES.has(scheme)) {
      if (authority!.slice(0, at).includes(':')) return true;
    } else if (slashes!.length > 0 || SPECIAL_SCHEMES.has(scheme)) {
      // `mailto:ops@acme.com` (no slashes, not a special scheme) is an address, not a login
      return true;
    }
  }
  return false;
}

/** What kind of credential the text carries, or undefined. Linear in the text's length. */
export function credentialIn(text: string): string | undefined {
  if (SIGNED_URL.test(text)) return 'the signature of a presigned URL (X-Amz-Signature)';
  const parameter = SECRET_PARAMETER.exec(text);
  if (parameter) return `a secret parameter (${parameter[1]!.toLowerCase()}=)`;
  if (hasUserinfo(text)) return 'user:password@ in a URL';
  if (AWS_ACCESS_KEY_ID.test(text)) return 'an AWS access key id';
  if (PRIVATE_KEY.test(text)) return 'a private key';
  return undefined;
}
