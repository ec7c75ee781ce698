import { isIP } from 'node:net';
import { isLocalhostName, type NetworkPolicy } from './network-policy.js';

/** Options for {@link checkEndpointUrl}. */
export interface EndpointUrlCheckOptions {
  /** `HERALD_HTTPS_ONLY`: refuse plain http endpoints. */
  httpsOnly: boolean;
  policy: NetworkPolicy;
}

/**
 * The friendly early check made when an endpoint is created or updated, so a customer
 * hears about an unusable URL at once rather than from a failed attempt hours later.
 * Returns null when the URL is acceptable, otherwise a message for the user.
 *
 * This is not the SSRF guard: a name can resolve anywhere, and differently tomorrow.
 * The guarded connector checks the address actually dialled on every connection.
 * Here only what the URL itself reveals is judged: IP literals, in every spelling the
 * WHATWG parser normalises (`2130706433`, `0x7f.1`, `[::ffff:7f00:1]` …), and
 * `localhost` names.
 */
export function checkEndpointUrl(url: string, options: EndpointUrlCheckOptions): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'URL is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `URL scheme must be http or https, not ${parsed.protocol.replace(/:$/, '')}`;
  }
  if (options.httpsOnly && parsed.protocol !== 'https:') {
    return 'URL must use https';
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // Credentials in the URL end up in logs and attempt records; custom headers are the place for them.
    return 'URL must not contain credentials (user:password@); use a custom header instead';
  }

  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) {
    const decision = options.policy.check(host);
    if (!decision.allowed) {
      const carried = decision.embeddedIPv4 ? ` (IPv4 ${decision.embeddedIPv4})` : '';
      return `URL host ${host}${carried} is a private or reserved address (${decision.rule}) and cannot receive webhooks`;
    }
    return null;
  }
  if (isLocalhostName(host)) {
    const decision = options.policy.check('127.0.0.1');
    if (!decision.allowed) {
      return `URL host ${host} is a loopback name (${decision.rule}) and cannot receive webhooks`;
    }
  }
  return null;
}
