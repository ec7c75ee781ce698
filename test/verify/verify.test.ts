import { generateKeyPairSync } from 'node:crypto';
import {
  createVerifier,
  InvalidPayloadError,
  InvalidSecretError,
  InvalidSignatureError,
  MissingHeaderError,
  TimestampTooNewError,
  TimestampTooOldError,
  verify,
  WebhookVerificationError,
} from '@herald/verify';
import { ed25519RawPublicKey } from '@herald/verify/scheme';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as Svix1Webhook } from 'svix1';
import { Webhook as Svix2Webhook } from 'svix2';
import { describe, expect, it } from 'vitest';
import { generateEndpointSecret, publicSecretForm } from '../../src/signing/secrets.js';
import { signatureHeader, webhookHeaders } from '../../src/signing/sign.js';

const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  headers: {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
  body: '{"test": 2432232314}',
  now: 1614265330 * 1000,
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.code;
    throw err;
  }
  return 'verified';
}

// Each sender library signs `{id}.{timestamp}.{body}` and returns "v1,<base64>".
const SENDERS = [
  {
    name: 'standardwebhooks',
    sign: (s: string, id: string, d: Date, b: string) => new StandardWebhook(s).sign(id, d, b),
  },
  { name: 'svix@1', sign: (s: string, id: string, d: Date, b: string) => new Svix1Webhook(s).sign(id, d, b) },
  { name: 'svix@2', sign: (s: string, id: string, d: Date, b: string) => new Svix2Webhook(s).sign(id, d, b) },
];

describe('verify', () => {
  it('verifies the Standard Webhooks test vector and returns the parsed payload', () => {
    expect(verify(VECTOR.body, VECTOR.headers, VECTOR.secret, { now: VECTOR.now })).toEqual({
      test: 2432232314,
    });
  });

  it('accepts the vector secret without its whsec_ prefix, as the libraries do', () => {
    expect(verify(VECTOR.body, VECTOR.headers, VECTOR.secret.slice(6), { now: VECTOR.now })).toBeDefined();
  });

  it('reads header names case-insensitively, from plain objects and from fetch Headers', () => {
    const upper = Object.fromEntries(Object.entries(VECTOR.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verify(VECTOR.body, upper, VECTOR.secret, { now: VECTOR.now })).toBeDefined();
    expect(
      verify(VECTOR.body, new Headers(VECTOR.headers), VECTOR.secret, { now: new Date(VECTOR.now) }),
    ).toBeDefined();
  });

  it('accepts svix-* headers in place of webhook-* ones', () => {
    const svix = {
      'svix-id': VECTOR.headers['webhook-id'],
      'svix-timestamp': VECTOR.headers['webhook-timestamp'],
      'svix-signature': VECTOR.headers['webhook-signature'],
    };
    expect(verify(VECTOR.body, svix, VECTOR.secret, { now: VECTOR.now })).toEqual({ test: 2432232314 });
  });

  it('finds the matching signature among several, including unknown versions and repeated header lines', () => {
    const other = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=';
    const headers = {
      ...VECTOR.headers,
      'webhook-signature': [`v2,abc ${other}`, `${VECTOR.headers['webhook-signature']}`],
    };
    expect(verify(VECTOR.body, headers, VECTOR.secret, { now: VECTOR.now })).toBeDefined();
    const joinedByNode = {
      ...VECTOR.headers,
      'webhook-signature': `${other}, ${VECTOR.headers['webhook-signature']}`,
    };
    expect(verify(VECTOR.body, joinedByNode, VECTOR.secret, { now: VECTOR.now })).toBeDefined();
  });

  it('verifies a Buffer body byte for byte', () => {
    expect(
      verify(Buffer.from(VECTOR.body), VECTOR.headers, VECTOR.secret, { now: VECTOR.now }),
    ).toBeDefined();
  });

  it('rejects a re-serialised body: the classic parse-then-stringify mistake', () => {
    const reserialised = JSON.stringify(JSON.parse(VECTOR.body));
    expect(reserialised).not.toBe(VECTOR.body);
    expect(codeOf(() => verify(reserialised, VECTOR.headers, VECTOR.secret, { now: VECTOR.now }))).toBe(
      'invalid_signature',
    );
  });

  it('rejects an already-parsed body with an explanation instead of a bare signature failure', () => {
    const parsed = JSON.parse(VECTOR.body) as unknown as string;
    expect(() => verify(parsed, VECTOR.headers, VECTOR.secret, { now: VECTOR.now })).toThrow(
      /body parser ran first/,
    );
  });

  it('rejects a tampered body, id or timestamp, and a wrong secret, as invalid_signature', () => {
    const opts = { now: VECTOR.now };
    const ts = String(Number(VECTOR.headers['webhook-timestamp']) + 1);
    expect(codeOf(() => verify(`${VECTOR.body} `, VECTOR.headers, VECTOR.secret, opts))).toBe(
      'invalid_signature',
    );
    expect(
      codeOf(() => verify(VECTOR.body, { ...VECTOR.headers, 'webhook-id': 'msg_x' }, VECTOR.secret, opts)),
    ).toBe('invalid_signature');
    expect(
      codeOf(() => verify(VECTOR.body, { ...VECTOR.headers, 'webhook-timestamp': ts }, VECTOR.secret, opts)),
    ).toBe('invalid_signature');
    expect(codeOf(() => verify(VECTOR.body, VECTOR.headers, generateEndpointSecret('hmac'), opts))).toBe(
      'invalid_signature',
    );
  });

  it('rejects a timestamp older than the tolerance, and accepts it at the boundary', () => {
    const justInside = VECTOR.now + 300_000;
    expect(codeOf(() => verify(VECTOR.body, VECTOR.headers, VECTOR.secret, { now: justInside }))).toBe(
      'verified',
    );
    expect(() => verify(VECTOR.body, VECTOR.headers, VECTOR.secret, { now: justInside + 1000 })).toThrow(
      TimestampTooOldError,
    );
  });

  it('rejects a timestamp further in the future than the tolerance', () => {
    expect(() => verify(VECTOR.body, VECTOR.headers, VECTOR.secret, { now: VECTOR.now - 301_000 })).toThrow(
      TimestampTooNewError,
    );
  });

  it('honours a custom tolerance', () => {
    const opts = { now: VECTOR.now + 60_000, toleranceSeconds: 30 };
    expect(codeOf(() => verify(VECTOR.body, VECTOR.headers, VECTOR.secret, opts))).toBe('timestamp_too_old');
  });

  it('rejects missing headers and a non-numeric timestamp as missing_header (status 400)', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const headers: Record<string, string> = { ...VECTOR.headers };
      delete headers[name];
      const error = (() => {
        try {
          verify(VECTOR.body, headers, VECTOR.secret, { now: VECTOR.now });
        } catch (err) {
          return err;
        }
      })();
      expect(error).toBeInstanceOf(MissingHeaderError);
      expect((error as MissingHeaderError).status).toBe(400);
      expect((error as Error).message).toContain(name);
    }
    const notANumber = { ...VECTOR.headers, 'webhook-timestamp': '2021-02-25T15:02:10Z' };
    expect(() => verify(VECTOR.body, notANumber, VECTOR.secret, { now: VECTOR.now })).toThrow(
      MissingHeaderError,
    );
  });

  it('rejects a correctly signed body that is not JSON as invalid_payload (status 400)', () => {
    const secret = generateEndpointSecret('hmac');
    const ts = nowSeconds();
    const headers = webhookHeaders('msg_1', ts, signatureHeader('msg_1', ts, 'not json', [secret]), {
      svixCompat: false,
    });
    expect(() => verify('not json', headers, secret)).toThrow(InvalidPayloadError);
  });

  it('refuses an unusable secret as invalid_secret without quoting it', () => {
    for (const bad of ['', 'whsec_!!!', 'whpk_AAAA', 'whsk_AAAA']) {
      let error: unknown;
      try {
        verify(VECTOR.body, VECTOR.headers, bad, { now: VECTOR.now });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidSecretError);
      if (bad.length > 6) expect((error as Error).message).not.toContain(bad);
    }
  });

  it('passes when any one of several secrets matches (receiver-side rotation)', () => {
    const secrets = [generateEndpointSecret('hmac'), VECTOR.secret];
    expect(verify(VECTOR.body, VECTOR.headers, secrets, { now: VECTOR.now })).toBeDefined();
  });

  it('parses the secrets once and throws at creation when one is unusable', () => {
    expect(() => createVerifier(['whsec_!!!'])).toThrow(InvalidSecretError);
    const verifier = createVerifier(VECTOR.secret, { now: VECTOR.now });
    expect(verifier(VECTOR.body, VECTOR.headers)).toEqual({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      payload: { test: 2432232314 },
    });
  });
});

describe.each(SENDERS)('requests signed by $name verify with Herald', ({ sign }) => {
  const body = '{"type": "invoice.paid",\n  "data": {"id": "in_1", "amount": 1e3}}';

  function signed(secret: string, offsetSeconds = 0) {
    const ts = nowSeconds() + offsetSeconds;
    return {
      'webhook-id': 'msg_lib',
      'webhook-timestamp': String(ts),
      'webhook-signature': sign(secret, 'msg_lib', new Date(ts * 1000), body),
    };
  }

  it('accepts the request and returns the payload', () => {
    const secret = generateEndpointSecret('hmac');
    expect(verify(body, signed(secret), secret)).toEqual({
      type: 'invoice.paid',
      data: { id: 'in_1', amount: 1000 },
    });
  });

  it('rejects tampering, a wrong secret, and stale or future timestamps with the right code', () => {
    const secret = generateEndpointSecret('hmac');
    const headers = signed(secret);
    expect(codeOf(() => verify(body.replace('in_1', 'in_9'), headers, secret))).toBe('invalid_signature');
    expect(codeOf(() => verify(body, { ...headers, 'webhook-id': 'msg_other' }, secret))).toBe(
      'invalid_signature',
    );
    expect(codeOf(() => verify(body, headers, generateEndpointSecret('hmac')))).toBe('invalid_signature');
    expect(codeOf(() => verify(body, signed(secret, -301), secret))).toBe('timestamp_too_old');
    expect(codeOf(() => verify(body, signed(secret, 301), secret))).toBe('timestamp_too_new');
  });
});

describe('v1a (ed25519) verification', () => {
  const body = '{"ok":true}';
  const ts = 1700000000;
  const now = ts * 1000;

  it('verifies with the whpk_ public key and with the whsk_ private key', () => {
    const secret = generateEndpointSecret('ed25519');
    const headers = webhookHeaders('msg_a', ts, signatureHeader('msg_a', ts, body, [secret]), {
      svixCompat: false,
    });
    expect(verify(body, headers, publicSecretForm(secret), { now })).toEqual({ ok: true });
    expect(verify(body, headers, secret, { now })).toEqual({ ok: true });
  });

  it('rejects a signature made by another key', () => {
    const headers = webhookHeaders(
      'msg_a',
      ts,
      signatureHeader('msg_a', ts, body, [generateEndpointSecret('ed25519')]),
      { svixCompat: false },
    );
    const otherPublic = `whpk_${ed25519RawPublicKey(generateKeyPairSync('ed25519').publicKey).toString('base64')}`;
    expect(() => verify(body, headers, otherPublic, { now })).toThrow(InvalidSignatureError);
  });

  it('explains that a v1 signature needs the whsec_ secret when given only a public key', () => {
    const headers = webhookHeaders(
      'msg_a',
      ts,
      signatureHeader('msg_a', ts, body, [generateEndpointSecret('hmac')]),
      {
        svixCompat: false,
      },
    );
    const publicKey = publicSecretForm(generateEndpointSecret('ed25519'));
    expect(() => verify(body, headers, publicKey, { now })).toThrow(/no v1a \(ed25519\) signature/);
  });
});
