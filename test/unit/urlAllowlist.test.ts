import { describe, expect, it } from 'vitest';
import { describeUrl, parseUrlPattern, UrlAllowlist } from '../../activities/clusters/urlAllowlist';

describe('parseUrlPattern', () => {
  it('reads scheme, host (or *.suffix), port (or *) and path prefix', () => {
    expect(parseUrlPattern('https://*.livy.acme.internal:8443/gateway/livy/')).toMatchObject({
      scheme: 'https',
      host: 'livy.acme.internal',
      anySubdomain: true,
      port: '8443',
      pathPrefix: '/gateway/livy',
    });
    expect(parseUrlPattern('http://127.0.0.1:*')).toMatchObject({ host: '127.0.0.1', anySubdomain: false, port: '*', pathPrefix: '' });
    // the scheme's default port is the same as none
    expect(parseUrlPattern('https://Livy.Internal:443')).toMatchObject({ host: 'livy.internal', port: '' });
    expect(parseUrlPattern('http://[::1]:8998')).toMatchObject({ host: '[::1]', port: '8998' });
  });

  it.each([
    ['ftp://livy.internal'],
    ['livy.internal:8998'],
    ['http://*:8998'],
    ['http://livy.*.internal'],
    ['http://user:pw@livy.internal'],
    ['http://livy.internal?x=1'],
    ['http://livy.internal:99999'],
    ['http://livy.internal:8998/a*'],
    ['http:/livy.internal'],
  ])('refuses %j with a message', (pattern) => {
    expect(typeof parseUrlPattern(pattern)).toBe('string');
  });
});

describe('UrlAllowlist', () => {
  const allowlist = new UrlAllowlist(['https://*.livy.acme.internal:8443', 'http://127.0.0.1:*', 'https://gateway.acme.internal/livy']);
  const allowed = (url: string) => allowlist.match(url) !== undefined;

  it('matches hosts under a wildcard suffix, on the pattern’s port', () => {
    expect(allowed('https://emr-1.livy.acme.internal:8443')).toBe(true);
    expect(allowed('https://a.b.livy.acme.internal:8443/')).toBe(true);
    expect(allowed('https://EMR-1.LIVY.ACME.INTERNAL:8443')).toBe(true);
    // not the suffix itself, nor a look-alike, nor another port or scheme
    expect(allowed('https://livy.acme.internal:8443')).toBe(false);
    expect(allowed('https://evil-livy.acme.internal:8443')).toBe(false);
    expect(allowed('https://emr-1.livy.acme.internal.evil.com:8443')).toBe(false);
    expect(allowed('https://emr-1.livy.acme.internal:8444')).toBe(false);
    expect(allowed('https://emr-1.livy.acme.internal')).toBe(false);
    expect(allowed('http://emr-1.livy.acme.internal:8443')).toBe(false);
  });

  it('matches any port where the pattern says *, and IPs in canonical form', () => {
    expect(allowed('http://127.0.0.1:41234')).toBe(true);
    expect(allowed('http://127.0.0.1')).toBe(true);
    expect(allowed('http://0x7f.0.0.1:41234')).toBe(true);
    expect(allowed('http://127.0.0.2:41234')).toBe(false);
  });

  it('matches a path prefix on segment boundaries', () => {
    expect(allowed('https://gateway.acme.internal/livy')).toBe(true);
    expect(allowed('https://gateway.acme.internal/livy/v1')).toBe(true);
    expect(allowed('https://gateway.acme.internal/livy-other')).toBe(false);
    expect(allowed('https://gateway.acme.internal/')).toBe(false);
  });

  it('never matches userinfo, a query, a fragment, or what the URL parser reads as another host', () => {
    expect(allowed('http://user:pw@127.0.0.1:8998')).toBe(false);
    expect(allowed('http://127.0.0.1:8998?redirect=x')).toBe(false);
    expect(allowed('http://127.0.0.1:8998#x')).toBe(false);
    expect(allowed('http://emr-1.livy.acme.internal:8443@evil.com')).toBe(false);
    expect(allowed('https://evil.com\\@emr-1.livy.acme.internal:8443')).toBe(false);
    expect(allowed('not a url')).toBe(false);
  });

  it('reads one-slash and backslash forms as the HTTP client will', () => {
    expect(allowed('http:/127.0.0.1:8998')).toBe(true);
    expect(allowed('http:\\\\127.0.0.1:8998')).toBe(true);
  });

  it('is empty by default: no tag URL is taken', () => {
    expect(new UrlAllowlist().match('http://127.0.0.1:8998')).toBeUndefined();
  });

  it('throws on a bad pattern (config validates them first)', () => {
    expect(() => new UrlAllowlist(['ftp://x'])).toThrow(/URL allowlist pattern ftp:\/\/x/);
  });
});

describe('describeUrl', () => {
  it('keeps scheme, host and port, never userinfo or query', () => {
    expect(describeUrl('https://svc:hunter2@evil.com:8443/x?token=abc')).toBe('https://evil.com:8443 (with userinfo)');
    expect(describeUrl('http://h:8998/p')).toBe('http://h:8998');
    expect(describeUrl('::')).toBe('(not a URL)');
  });
});
