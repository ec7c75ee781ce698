import { describe, expect, it } from 'vitest';
import { checkEndpointUrl } from './endpoint-url.js';
import { createNetworkPolicy } from './network-policy.js';

const strict = { httpsOnly: false, policy: createNetworkPolicy([]) };

describe('checkEndpointUrl', () => {
  it.each([
    'https://example.com/webhooks',
    'http://example.com:8080/hook?x=1',
    'https://93.184.216.34/',
    'https://[2606:4700::1111]/',
  ])('accepts the public URL %s', (url) => {
    expect(checkEndpointUrl(url, strict)).toBeNull();
  });

  it.each(['', 'example.com/hook', 'https://', 'http://exa mple.com/'])(
    'rejects %j as not a valid URL',
    (url) => {
      expect(checkEndpointUrl(url, strict)).toBe('URL is not a valid URL');
    },
  );

  it.each([
    'ftp://example.com/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_FLUSHALL',
    'javascript:alert(1)',
  ])('rejects the non-http scheme in %s', (url) => {
    expect(checkEndpointUrl(url, strict)).toMatch(/^URL scheme must be http or https/);
  });

  it('rejects plain http when the operator requires https', () => {
    expect(checkEndpointUrl('http://example.com/', { ...strict, httpsOnly: true })).toBe(
      'URL must use https',
    );
    expect(checkEndpointUrl('https://example.com/', { ...strict, httpsOnly: true })).toBeNull();
  });

  it.each(['https://user:pass@example.com/', 'https://user@example.com/', 'https://:secret@example.com/'])(
    'rejects credentials embedded in %s, which would leak into logs',
    (url) => {
      expect(checkEndpointUrl(url, strict)).toMatch(/must not contain credentials/);
    },
  );

  it.each([
    ['http://127.0.0.1/', '127.0.0.0/8 (loopback)'],
    ['http://2130706433/', '127.0.0.0/8 (loopback)'],
    ['http://0x7f.1/', '127.0.0.0/8 (loopback)'],
    ['http://0177.0.0.1/', '127.0.0.0/8 (loopback)'],
    ['http://127.1/', '127.0.0.0/8 (loopback)'],
    ['http://0/', '0.0.0.0/8 (this network)'],
    ['http://[::ffff:127.0.0.1]/', '127.0.0.0/8 (loopback)'],
    ['http://[::ffff:7f00:1]/', '127.0.0.0/8 (loopback)'],
    ['http://[::1]/', '::1/128 (loopback)'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.0.0/16 (link-local, cloud metadata)'],
    ['http://[fd00:ec2::254]/', 'fc00::/7 (unique local)'],
    ['http://10.0.0.1:5432/', '10.0.0.0/8 (private)'],
  ])('rejects the private address literal %s', (url, rule) => {
    const message = checkEndpointUrl(url, strict);
    expect(message).toContain(`(${rule})`);
    expect(message).toMatch(/cannot receive webhooks$/);
  });

  it.each(['http://localhost/', 'http://LOCALHOST:8080/', 'http://localhost./', 'http://api.localhost/'])(
    'rejects the loopback name in %s',
    (url) => {
      expect(checkEndpointUrl(url, strict)).toMatch(/is a loopback name \(127\.0\.0\.0\/8 \(loopback\)\)/);
    },
  );

  it('accepts loopback and private literals the operator has allowed', () => {
    const allowing = { httpsOnly: false, policy: createNetworkPolicy(['127.0.0.0/8', '10.0.0.0/8']) };
    expect(checkEndpointUrl('http://localhost:3000/', allowing)).toBeNull();
    expect(checkEndpointUrl('http://2130706433/', allowing)).toBeNull();
    expect(checkEndpointUrl('http://10.0.0.1/', allowing)).toBeNull();
    expect(checkEndpointUrl('http://192.168.0.1/', allowing)).toMatch(/192\.168\.0\.0\/16/);
  });

  it('leaves names to the connector, which judges what they resolve to', () => {
    expect(checkEndpointUrl('https://evil.test/', strict)).toBeNull();
  });
});
