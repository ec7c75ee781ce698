import { RESERVED_HEADERS } from '../../delivery/attempt.js';
import { ValidationError, type ValidationIssue } from '../../errors.js';

/**
 * What an endpoint's custom headers may be. Svix refuses header names that are not HTTP
 * tokens, names of its own (`svix-*`, `x-svix-*`), hop-by-hop and entity headers, and cloud
 * providers' prefixes (`x-amzn-*`…); Herald also refuses the headers it sets itself (the
 * Standard Webhooks `webhook-*` trio, `host`, `traceparent`), which delivery would drop anyway.
 * Values must be valid header values (no CR, LF or NUL: a value with `\r\n` would smuggle a
 * header into the request) of at most 4096 bytes, as in Svix. Herald also bounds the map, which
 * Svix leaves open: every header goes out with every delivery.
 */
const FORBIDDEN_NAMES = new Set([
  'user-agent',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'age',
  'cache-control',
  'clear-site-data',
  'expires',
  'pragma',
  'warning',
  'content-length',
  'content-type',
  'content-encoding',
  'content-language',
  'content-location',
  ...RESERVED_HEADERS,
]);
const FORBIDDEN_PREFIXES = [
  'x-amz-',
  'x-amzn-',
  'x-google',
  'x-goog-',
  'x-gfe',
  'x-azure-',
  'x-fd-',
  'x-svix-',
  'svix-',
];
/** RFC 9110 `token`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 field value: visible characters, spaces and tabs, obs-text; no CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_VALUE_BYTES = 4096;
export const MAX_CUSTOM_HEADERS = 64;
export const MAX_CUSTOM_HEADER_BYTES = 16 * 1024;

/** Why `name` cannot be a custom header, or null when it can. */
function nameProblem(name: string): string | null {
  const lower = name.toLowerCase();
  if (!TOKEN.test(name)) return 'is not a valid HTTP header name';
  if (FORBIDDEN_NAMES.has(lower)) return 'is a header Herald sets or forbids';
  if (FORBIDDEN_PREFIXES.some((p) => lower.startsWith(p))) return 'starts with a forbidden prefix';
  return null;
}

/** A 422 naming each header of `headers` (under `loc`) that may not be sent, or the map's excess. */
export function checkCustomHeaders(headers: Record<string, string | null>, loc: string[]): void {
  const issues: ValidationIssue[] = [];
  let bytes = 0;
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === null) continue;
    count++;
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    const problem = nameProblem(name);
    const at = [...loc, name];
    // The name is only echoed when it is printable, so the message itself stays one clean line.
    const shown = /^[\x20-\x7e]{1,100}$/.test(name) ? `"${name}"` : 'a header name';
    if (problem) issues.push({ loc: at, msg: `${shown} ${problem}`, type: 'value_error.header_name' });
    else if (!FIELD_VALUE.test(value))
      issues.push({
        loc: at,
        msg: `${shown}: the value contains a character HTTP does not allow (CR, LF or NUL)`,
        type: 'value_error.header_value',
      });
    else if (Buffer.byteLength(value) > MAX_VALUE_BYTES)
      issues.push({
        loc: at,
        msg: `${shown}: the value is longer than ${MAX_VALUE_BYTES} bytes`,
        type: 'value_error.header_value',
      });
  }
  if (count > MAX_CUSTOM_HEADERS)
    issues.push({
      loc,
      msg: `at most ${MAX_CUSTOM_HEADERS} custom headers`,
      type: 'value_error.too_many_headers',
    });
  else if (bytes > MAX_CUSTOM_HEADER_BYTES)
    issues.push({
      loc,
      msg: `custom headers may total at most ${MAX_CUSTOM_HEADER_BYTES} bytes`,
      type: 'value_error.headers_too_large',
    });
  if (issues.length > 0) throw new ValidationError(issues.slice(0, 20));
}
