/**
 * Which URLs the worker takes from EMR cluster tags (`shale:livy-url`, `shale:rm-url`). Anyone
 * who may tag a cluster could otherwise point the worker, and the Livy credential it sends, at
 * any address; the tag is taken only when it matches a pattern in the worker's own config.
 *
 * A pattern is `scheme://host[:port][/path]`:
 * - scheme: http or https;
 * - host: a name or IP address, or `*.suffix` for any name under suffix (not the suffix itself);
 * - port: a number, or `*` for any; left out, only the scheme's default port (80, 443);
 * - path: a prefix the URL's path must start with, on a segment boundary; left out, any path.
 * A URL carrying userinfo (user:password@), a query or a fragment never matches.
 * Names are compared as the WHATWG URL parser (which undici uses) reads them: lowercased,
 * IP addresses in their canonical form, `http:/host` read as `http://host`.
 */
export interface UrlPattern {
  scheme: 'http' | 'https';
  /** Canonical host; for a wildcard, the suffix without the leading `*.`. */
  host: string;
  anySubdomain: boolean;
  /** A port number as text, '' for the scheme's default, or '*'. */
  port: string;
  /** '' for any path, else a prefix without a trailing slash. */
  pathPrefix: string;
  /** The pattern as written, for messages. */
  source: string;
}

const PATTERN = /^(https?):\/\/(\*\.)?([^/:*?#@\s[\]]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}|\*))?(\/[^*?#\s]*)?$/;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** The pattern, or a message saying what is wrong with it. */
export function parseUrlPattern(source: string): UrlPattern | string {
  const match = PATTERN.exec(source);
  if (!match) return 'must look like https://host[:port][/path], http://*.suffix:*, ... (scheme http or https; host a name, an IP address or *.suffix; port a number or *)';
  const [, scheme, wildcard, rawHost, rawPort, rawPath] = match;
  let host: string;
  try {
    host = new URL(`${scheme}://${rawHost}`).hostname;
  } catch {
    return `host ${rawHost} is not a valid host name`;
  }
  const port = rawPort === undefined || rawPort === DEFAULT_PORTS[scheme!] ? '' : rawPort;
  if (port !== '' && port !== '*' && Number(port) > 65535) return `port ${port} is out of range`;
  const pathPrefix = (rawPath ?? '').replace(/\/+$/, '');
  return { scheme: scheme as UrlPattern['scheme'], host, anySubdomain: wildcard !== undefined, port, pathPrefix, source };
}

export class UrlAllowlist {
  readonly patterns: readonly UrlPattern[];

  /** Throws on a bad pattern: worker config validates them first (see worker/config.ts). */
  constructor(sources: readonly string[] = []) {
    this.patterns = sources.map((source) => {
      const pattern = parseUrlPattern(source);
      if (typeof pattern === 'string') throw new Error(`URL allowlist pattern ${source}: ${pattern}`);
      return pattern;
    });
  }

  /** The pattern the URL matches, or undefined. */
  match(url: string): UrlPattern | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.username || parsed.password || parsed.search || parsed.hash) return undefined;
    return this.patterns.find((p) => matches(p, parsed));
  }
}

function matches(pattern: UrlPattern, url: URL): boolean {
  if (url.protocol !== `${pattern.scheme}:`) return false;
  const host = url.hostname;
  if (pattern.anySubdomain ? !host.endsWith(`.${pattern.host}`) : host !== pattern.host) return false;
  if (pattern.port !== '*' && url.port !== pattern.port) return false;
  if (!pattern.pathPrefix) return true;
  return url.pathname === pattern.pathPrefix || url.pathname.startsWith(`${pattern.pathPrefix}/`);
}

/** A URL safe to log: scheme, host and port only (a tag could carry a credential). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const extra = parsed.username || parsed.password ? ' (with userinfo)' : '';
    return `${parsed.protocol}//${parsed.host}${extra}`;
  } catch {
    return '(not a URL)';
  }
}
