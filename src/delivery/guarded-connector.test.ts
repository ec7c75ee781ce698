import type { LookupAddress } from 'node:dns';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../test/support/receiver.js';
import { createNetworkPolicy, type NetworkPolicy } from '../core/net/network-policy.js';
import {
  BlockedByPolicyError,
  createGuardedConnector,
  createGuardedLookup,
  type LookupFn,
} from './guarded-connector.js';
import { createDeliveryClient, type DeliveryClient } from './http-client.js';

/**
 * A resolver that never touches DNS: each name maps to a fixed answer, or to a function
 * of the call number (1-based) to script rebinding. Unknown names fail with ENOTFOUND.
 */
function fakeResolver(table: Record<string, string[] | ((call: number) => string[])>) {
  const calls: string[] = [];
  const lookup: LookupFn = (hostname, _options, callback) => {
    calls.push(hostname);
    const entry = table[hostname];
    const addresses = typeof entry === 'function' ? entry(calls.filter((h) => h === hostname).length) : entry;
    setImmediate(() => {
      if (!addresses) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
        return;
      }
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    });
  };
  return { lookup, calls };
}

function lookupAll(policy: NetworkPolicy, resolver: LookupFn, hostname: string) {
  const guarded = createGuardedLookup(policy, resolver);
  return new Promise<{ err: NodeJS.ErrnoException | null; addresses: LookupAddress[] }>((resolve) => {
    guarded(hostname, { all: true }, (err, addresses) =>
      resolve({ err, addresses: addresses as LookupAddress[] }),
    );
  });
}

const defaultPolicy = createNetworkPolicy([]);

describe('guarded lookup: every resolver answer is judged before a socket sees it', () => {
  it('refuses a name resolving to one public and one loopback address, whatever the order', async () => {
    const { lookup } = fakeResolver({
      'mixed.test': ['93.184.216.34', '127.0.0.1'],
      'mixed-reversed.test': ['127.0.0.1', '93.184.216.34'],
    });
    for (const name of ['mixed.test', 'mixed-reversed.test']) {
      const { err, addresses } = await lookupAll(defaultPolicy, lookup, name);
      expect(err).toBeInstanceOf(BlockedByPolicyError);
      expect(err?.message).toBe(
        `address 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback) (resolved from ${name})`,
      );
      expect(addresses).toEqual([]);
    }
  });

  it('refuses a name whose AAAA answer is an IPv4-mapped cloud metadata address', async () => {
    const { lookup } = fakeResolver({ 'metadata.test': ['::ffff:169.254.169.254'] });
    const { err } = await lookupAll(defaultPolicy, lookup, 'metadata.test');
    expect(err).toBeInstanceOf(BlockedByPolicyError);
    expect(err?.message).toContain('carrying IPv4 169.254.169.254');
  });

  it('hands every public answer to the socket, with the family taken from the address', async () => {
    const { lookup } = fakeResolver({ 'public.test': ['93.184.216.34', '2606:2800:220:1::248'] });
    const { err, addresses } = await lookupAll(defaultPolicy, lookup, 'public.test');
    expect(err).toBeNull();
    expect(addresses).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::248', family: 6 },
    ]);
  });

  it('answers a single-address lookup with the checked first address', async () => {
    const { lookup } = fakeResolver({ 'public.test': ['93.184.216.34'] });
    const guarded = createGuardedLookup(defaultPolicy, lookup);
    const answer = await new Promise<unknown[]>((resolve) =>
      guarded('public.test', { all: false }, (...args) => resolve(args)),
    );
    expect(answer).toEqual([null, '93.184.216.34', 4]);
  });

  it('refuses localhost names as loopback without trusting the resolver', async () => {
    const { lookup, calls } = fakeResolver({
      localhost: ['93.184.216.34'],
      'app.localhost': ['93.184.216.34'],
    });
    for (const name of ['localhost', 'app.localhost', 'LOCALHOST.']) {
      const { err } = await lookupAll(defaultPolicy, lookup, name);
      expect(err).toBeInstanceOf(BlockedByPolicyError);
    }
    expect(calls).toEqual([]);
  });

  it('reports a resolver with no answer as ENOTFOUND', async () => {
    const empty: LookupFn = (_hostname, _options, callback) => callback(null, []);
    const { err } = await lookupAll(defaultPolicy, empty, 'empty.test');
    expect(err?.code).toBe('ENOTFOUND');
  });
});

describe('guarded connector: the dialled address is checked on a real socket', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.reset());
  afterAll(() => receiver.close());

  function dial(policy: NetworkPolicy, hostname: string) {
    const connector = createGuardedConnector({ policy });
    return new Promise<{ err: Error | null; socket: Socket | null }>((resolve) => {
      connector({ hostname, protocol: 'http:', port: String(receiver.port) }, (err, socket) =>
        resolve({ err, socket }),
      );
    });
  }

  // Undici hands the connector the WHATWG-normalised host, but the guard must not rely
  // on that: un-normalised spellings go to the system resolver and are judged afterwards.
  it.each(['127.0.0.1', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', 'localhost'])(
    'refuses to dial 127.0.0.1 spelled as %s, even when handed to the connector unnormalised',
    async (hostname) => {
      const { err, socket } = await dial(defaultPolicy, hostname);
      expect(err).toBeInstanceOf(BlockedByPolicyError);
      expect(err?.message).toMatch(/is in blocked range 127\.0\.0\.0\/8 \(loopback\)/);
      expect(socket ?? null).toBeNull();
      expect(receiver.connections).toBe(0);
    },
  );

  it('dials the receiver when its range is allowed', async () => {
    const { err, socket } = await dial(createNetworkPolicy(['127.0.0.0/8']), '2130706433');
    expect(err).toBeNull();
    expect(socket?.remoteAddress).toBe('127.0.0.1');
    socket?.destroy();
  });
});

/**
 * End to end through the delivery client. 127.0.0.2 stands in for a public address:
 * it is allowed by the policy and served by `publicReceiver`, so nothing ever leaves
 * this machine, while 127.0.0.1 (`privateReceiver`) stays blocked and must get nothing.
 */
describe('delivery client: SSRF attempts never reach a blocked receiver', () => {
  let privateReceiver: Receiver;
  let publicReceiver: Receiver;
  const clients: DeliveryClient[] = [];

  beforeAll(async () => {
    // Same port on both addresses, so only the address dialled decides who is reached.
    publicReceiver = await startReceiver({ host: '127.0.0.2' });
    privateReceiver = await startReceiver({ host: '127.0.0.1', port: publicReceiver.port });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    privateReceiver.reset();
    publicReceiver.reset();
  });
  afterAll(async () => {
    await privateReceiver.close();
    await publicReceiver.close();
  });

  function client(allowed: string[], lookup?: LookupFn): DeliveryClient {
    const created = createDeliveryClient({
      policy: createNetworkPolicy(allowed),
      requestTimeoutMs: 5_000,
      userAgent: 'herald-test',
      lookup,
    });
    clients.push(created);
    return created;
  }

  const post = (c: DeliveryClient, url: string) => c.send({ url, headers: {}, body: '{"type":"ping"}' });

  const SPELLINGS = [
    'http://127.0.0.1:PORT/',
    'http://2130706433:PORT/',
    'http://0x7f.1:PORT/',
    'http://0177.0.0.1:PORT/',
    'http://127.1:PORT/',
    'http://127.0.0.1.:PORT/',
    'http://0:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://[::ffff:7f00:1]:PORT/',
    'http://[::127.0.0.1]:PORT/',
    'http://localhost:PORT/',
    'http://localhost.:PORT/',
  ];

  it.each(SPELLINGS)('refuses to dial the loopback receiver spelled as %s', async (spelling) => {
    const result = await post(client([]), spelling.replace('PORT', String(privateReceiver.port)));
    expect(result.errorClass).toBe('blocked_by_policy');
    expect(result.statusCode).toBe(0);
    expect(result.errorMessage).toMatch(/is in blocked range (127\.0\.0\.0\/8 \(loopback\)|0\.0\.0\.0\/8)/);
    expect(privateReceiver.connections).toBe(0);
    expect(privateReceiver.requests).toEqual([]);
  });

  // `[::127.0.0.1]` (IPv4-compatible) routes nowhere and `localhost.` is not in /etc/hosts:
  // they are refused above but have nothing to be delivered to.
  const DELIVERABLE = SPELLINGS.filter((s) => !s.includes('[::127.0.0.1]') && !s.includes('localhost.'));

  it.each(DELIVERABLE)('delivers to %s once the operator allows loopback', async (spelling) => {
    const allowed = client(['127.0.0.0/8', '0.0.0.0/8', '::1/128']);
    const result = await post(allowed, spelling.replace('PORT', String(privateReceiver.port)));
    expect(result.errorMessage).toBeNull();
    expect(result.statusCode).toBe(200);
    expect(privateReceiver.requests).toHaveLength(1);
  });

  it('refuses a name that a hostile resolver maps to 127.0.0.1', async () => {
    const { lookup } = fakeResolver({ 'evil.test': ['127.0.0.1'] });
    const result = await post(client([], lookup), `http://evil.test:${privateReceiver.port}/`);
    expect(result.errorClass).toBe('blocked_by_policy');
    expect(result.errorMessage).toBe(
      'address 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback) (resolved from evil.test)',
    );
    expect(privateReceiver.connections).toBe(0);
  });

  it('refuses a name resolving to one allowed and one blocked address, in either order', async () => {
    const { lookup } = fakeResolver({
      'a.test': ['127.0.0.2', '127.0.0.1'],
      'b.test': ['127.0.0.1', '127.0.0.2'],
    });
    const guarded = client(['127.0.0.2/32'], lookup);
    for (const name of ['a.test', 'b.test']) {
      const result = await post(guarded, `http://${name}:${privateReceiver.port}/`);
      expect(result.errorClass).toBe('blocked_by_policy');
    }
    // Not even a TCP handshake may reach either address.
    expect(privateReceiver.connections).toBe(0);
    expect(publicReceiver.connections).toBe(0);
  });

  it('dials the address it checked when DNS rebinds to 127.0.0.1 on the next lookup', async () => {
    const port = publicReceiver.port;
    const { lookup, calls } = fakeResolver({
      'rebind.test': (call) => (call === 1 ? ['127.0.0.2'] : ['127.0.0.1']),
    });
    const guarded = client(['127.0.0.2/32'], lookup);
    const first = await post(guarded, `http://rebind.test:${port}/`);
    expect(first.statusCode).toBe(200);
    expect(publicReceiver.requests).toHaveLength(1);
    expect(publicReceiver.requests[0]?.headers.host).toBe(`rebind.test:${port}`);
    expect(calls).toEqual(['rebind.test']);
    expect(privateReceiver.connections).toBe(0);

    // A fresh connection resolves again, now to 127.0.0.1, and is refused.
    const fresh = client(['127.0.0.2/32'], lookup);
    const second = await post(fresh, `http://rebind.test:${port}/`);
    expect(second.errorClass).toBe('blocked_by_policy');
    expect(privateReceiver.connections).toBe(0);
  });
});
