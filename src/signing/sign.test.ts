import { verify } from '@herald/verify';
import fc from 'fast-check';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as Svix1Webhook } from 'svix1';
import { Webhook as Svix2Webhook } from 'svix2';
import { describe, expect, it } from 'vitest';
import { generateEndpointSecret, parseOrThrow, publicSecretForm } from './secrets.js';
import { parseSigningSecrets, signatureHeader, webhookHeaders } from './sign.js';

// The test vector of the Standard Webhooks spec and of Svix's libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

// The ed25519 vector of the Standard Webhooks Go library (webhook_asymmetric_test.go): a 32-byte
// seed in whsk_ form, same id, timestamp and body as above.
const ED25519_VECTOR = {
  secret: 'whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=',
  signature: 'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==',
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

function signedRequest(secrets: string[], body = '{"type":"invoice.paid","data":{"id":"in_1"}}') {
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = nowSeconds();
  const headers = webhookHeaders(id, timestamp, signatureHeader(id, timestamp, body, secrets), {
    svixCompat: true,
  });
  return { id, timestamp, body, headers };
}

type Headers = Record<string, string>;

// Each receiver library, reduced to "throws unless the request verifies". svix@2's verify returns
// nothing (it no longer parses the body); the others return the parsed payload, which is checked.
const VERIFIERS = [
  {
    name: 'standardwebhooks',
    readsSvixHeaders: false,
    verify: (secret: string, body: string, headers: Headers) =>
      expect(new StandardWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body)),
  },
  {
    name: 'svix@1',
    readsSvixHeaders: true,
    verify: (secret: string, body: string, headers: Headers) =>
      expect(new Svix1Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body)),
  },
  {
    // svix@2 declares Node >= 22 but loads and verifies on Node 20 too, so it runs everywhere.
    name: 'svix@2',
    readsSvixHeaders: true,
    verify: (secret: string, body: string, headers: Headers) =>
      new Svix2Webhook(secret).verify(body, headers),
  },
];

describe('signatureHeader', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    expect(signatureHeader(VECTOR.id, VECTOR.timestamp, VECTOR.body, [VECTOR.secret])).toBe(VECTOR.signature);
  });

  it('reproduces the Standard Webhooks Go library ed25519 (v1a) vector from a 32-byte seed', () => {
    expect(signatureHeader(VECTOR.id, VECTOR.timestamp, VECTOR.body, [ED25519_VECTOR.secret])).toBe(
      ED25519_VECTOR.signature,
    );
  });

  it('signs the same with a 64-byte whsk_ (Svix server form) as with its 32-byte seed', () => {
    const normalized = parseOrThrow(ED25519_VECTOR.secret).normalized;
    expect(normalized).not.toBe(ED25519_VECTOR.secret);
    expect(signatureHeader(VECTOR.id, VECTOR.timestamp, VECTOR.body, [normalized])).toBe(
      ED25519_VECTOR.signature,
    );
  });

  it('signs a Buffer body exactly like the same string', () => {
    const fromBuffer = signatureHeader(VECTOR.id, VECTOR.timestamp, Buffer.from(VECTOR.body), [
      VECTOR.secret,
    ]);
    expect(fromBuffer).toBe(VECTOR.signature);
  });

  it('gives the same signatures from pre-parsed secrets as from strings', () => {
    const secrets = [generateEndpointSecret('hmac'), generateEndpointSecret('ed25519')];
    const parsed = parseSigningSecrets(secrets);
    expect(signatureHeader('msg_1', 1700000000, 'x', parsed)).toBe(
      signatureHeader('msg_1', 1700000000, 'x', secrets),
    );
  });

  it('emits one signature per secret, in order, v1 for whsec_ and v1a for whsk_', () => {
    const header = signatureHeader('msg_1', 1700000000, '{}', [
      generateEndpointSecret('hmac'),
      generateEndpointSecret('ed25519'),
      generateEndpointSecret('hmac'),
    ]);
    const entries = header.split(' ');
    expect(entries.map((e) => e.split(',')[0])).toEqual(['v1', 'v1a', 'v1']);
    expect(Buffer.from(entries[0]!.split(',')[1]!, 'base64')).toHaveLength(32);
    expect(Buffer.from(entries[1]!.split(',')[1]!, 'base64')).toHaveLength(64);
  });

  it('refuses a fractional timestamp, which receivers would parse differently', () => {
    expect(() => signatureHeader('msg_1', 1700000000.5, '{}', [VECTOR.secret])).toThrow(RangeError);
  });

  it('refuses to sign with no secret at all', () => {
    expect(() => signatureHeader('msg_1', 1700000000, '{}', [])).toThrow(RangeError);
  });

  it('refuses an invalid secret without quoting it', () => {
    const bad = 'whsec_c2hvcnQ=';
    expect(() => signatureHeader('msg_1', 1700000000, '{}', [bad])).toThrow(/invalid endpoint secret/);
    try {
      signatureHeader('msg_1', 1700000000, '{}', [bad]);
    } catch (err) {
      expect((err as Error).message).not.toContain('c2hvcnQ');
    }
  });
});

describe('webhookHeaders', () => {
  it('sets the three webhook-* headers', () => {
    expect(webhookHeaders('msg_1', 1700000000, 'v1,abc', { svixCompat: false })).toEqual({
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,abc',
    });
  });

  it('adds identical svix-* copies when svixCompat is on', () => {
    const headers = webhookHeaders('msg_1', 1700000000, 'v1,abc', { svixCompat: true });
    expect(headers['svix-id']).toBe('msg_1');
    expect(headers['svix-timestamp']).toBe('1700000000');
    expect(headers['svix-signature']).toBe('v1,abc');
  });
});

describe.each(VERIFIERS)('requests signed by Herald verify with $name', ({ verify: check }) => {
  it('accepts a request signed with the endpoint secret', () => {
    const secret = generateEndpointSecret('hmac');
    const request = signedRequest([secret]);
    check(secret, request.body, request.headers);
  });

  it('accepts either key during a rotation, when both sign', () => {
    const oldSecret = generateEndpointSecret('hmac');
    const newSecret = generateEndpointSecret('hmac');
    const request = signedRequest([oldSecret, newSecret]);
    check(oldSecret, request.body, request.headers);
    check(newSecret, request.body, request.headers);
  });

  it('finds the v1 signature next to a v1a one', () => {
    const secret = generateEndpointSecret('hmac');
    const request = signedRequest([generateEndpointSecret('ed25519'), secret]);
    check(secret, request.body, request.headers);
  });

  it('rejects a tampered body, id or timestamp, and a wrong secret', () => {
    const secret = generateEndpointSecret('hmac');
    const { body, headers } = signedRequest([secret]);
    const earlier = String(Number(headers['webhook-timestamp']) - 1);
    const tampered = [
      { body: body.replace('in_1', 'in_2'), headers },
      { body, headers: { ...headers, 'webhook-id': 'msg_other', 'svix-id': 'msg_other' } },
      { body, headers: { ...headers, 'webhook-timestamp': earlier, 'svix-timestamp': earlier } },
    ];
    for (const request of tampered) {
      expect(() => check(secret, request.body, request.headers)).toThrow(/No matching signature/);
    }
    expect(() => check(generateEndpointSecret('hmac'), body, headers)).toThrow(/No matching signature/);
  });

  it('rejects stale and future timestamps beyond five minutes', () => {
    const secret = generateEndpointSecret('hmac');
    const body = '{}';
    for (const [offset, message] of [
      [-301, /too old/],
      [301, /too new/],
    ] as const) {
      const ts = nowSeconds() + offset;
      const headers = webhookHeaders('msg_t', ts, signatureHeader('msg_t', ts, body, [secret]), {
        svixCompat: true,
      });
      expect(() => check(secret, body, headers)).toThrow(message);
    }
  });
});

// standardwebhooks reads webhook-* only; Svix's libraries read svix-* first.
describe.each(VERIFIERS.filter((v) => v.readsSvixHeaders))(
  'Herald svix-* headers verify with $name',
  ({ verify: check }) => {
    it('accepts svix-* headers alone, as receivers on older Svix integrations send them through', () => {
      const secret = generateEndpointSecret('hmac');
      const { body, headers } = signedRequest([secret]);
      const svixOnly = {
        'svix-id': headers['svix-id']!,
        'svix-timestamp': headers['svix-timestamp']!,
        'svix-signature': headers['svix-signature']!,
      };
      check(secret, body, svixOnly);
    });
  },
);

describe('Herald signatures on arbitrary bodies', () => {
  it('verify with standardwebhooks and with Herald, and fail with either once a byte changes', () => {
    const secret = generateEndpointSecret('hmac');
    const receiver = new StandardWebhook(secret);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.nat(), (text, position) => {
        const body = JSON.stringify({ text });
        const timestamp = nowSeconds();
        const headers = webhookHeaders(
          'msg_p',
          timestamp,
          signatureHeader('msg_p', timestamp, body, [secret]),
          {
            svixCompat: false,
          },
        );
        expect(receiver.verify(body, headers)).toEqual({ text });
        expect(verify(body, headers, secret)).toEqual({ text });

        const bytes = Buffer.from(body);
        bytes[position % bytes.length]! ^= 1;
        expect(() => verify(bytes, headers, secret)).toThrow();
      }),
      { numRuns: 200 },
    );
  });
});

describe('ed25519 (v1a) signatures', () => {
  it('verify with the whpk_ public key shown to receivers and with the whsk_ private key', () => {
    const secret = generateEndpointSecret('ed25519');
    const { body, headers } = signedRequest([secret]);
    expect(verify(body, headers, publicSecretForm(secret))).toEqual(JSON.parse(body));
    expect(verify(body, headers, secret)).toEqual(JSON.parse(body));
  });

  it('fail with another public key', () => {
    const { body, headers } = signedRequest([generateEndpointSecret('ed25519')]);
    const otherPublic = publicSecretForm(generateEndpointSecret('ed25519'));
    expect(() => verify(body, headers, otherPublic)).toThrow(
      expect.objectContaining({ code: 'invalid_signature' }),
    );
  });
});
