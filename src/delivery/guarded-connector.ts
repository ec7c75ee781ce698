import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { isLocalhostName, type NetworkPolicy } from '../core/net/network-policy.js';
import { boundReads } from './bounded-reads.js';

/**
 * A resolver with the signature of `dns.lookup(hostname, { all: true }, callback)`.
 * Injectable so tests can map names such as `evil.test` to chosen addresses without DNS.
 */
export type LookupFn = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A connection refused by the SSRF policy. Named so the HTTP client can classify the
 * attempt as `blocked_by_policy` (permanent until the endpoint or the policy changes)
 * rather than as a network failure.
 */
export class BlockedByPolicyError extends Error {
  override readonly name = 'BlockedByPolicyError';
  readonly code = 'HERALD_BLOCKED_BY_POLICY';

  constructor(
    /** The address that would have been dialled. */
    readonly address: string,
    /** The blocked range, e.g. `127.0.0.0/8 (loopback)`. */
    readonly rule: string,
    /** The name that resolved to `address`, when the URL held a name. */
    readonly hostname?: string,
    /** The IPv4 address carried inside an IPv6 `address`, when that is what was refused. */
    readonly embeddedIPv4?: string,
  ) {
    const carried = embeddedIPv4 ? ` (carrying IPv4 ${embeddedIPv4})` : '';
    const from = hostname && hostname !== address ? ` (resolved from ${hostname})` : '';
    super(`address ${address}${carried} is in blocked range ${rule}${from}`);
  }
}

/** Options for {@link createGuardedConnector}. */
export interface GuardedConnectorOptions {
  policy: NetworkPolicy;
  /** Resolver to use instead of `dns.lookup`; tests inject fakes here. */
  lookup?: LookupFn;
  /** Limit on resolving plus the TCP/TLS handshake, in milliseconds (default 10 s). */
  connectTimeoutMs?: number;
}

const systemLookup: LookupFn = (hostname, options, callback) => dns.lookup(hostname, options, callback);

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname,
  });
}

function refuse(address: string, hostname: string, policy: NetworkPolicy): BlockedByPolicyError | null {
  const decision = policy.check(address);
  if (decision.allowed) return null;
  return new BlockedByPolicyError(address, decision.rule, hostname, decision.embeddedIPv4);
}

/**
 * Wraps a resolver so that the socket only ever receives addresses the policy allows.
 * Every answer is checked, not just the first: Node's Happy Eyeballs may try any of
 * them, so one blocked answer refuses the whole name. The checked answers are handed
 * straight to the socket, which connects to them without resolving again, so a second,
 * different DNS answer (DNS rebinding) never reaches a socket.
 *
 * Exported for unit tests that judge resolver answers without opening any socket.
 */
export function createGuardedLookup(policy: NetworkPolicy, lookup: LookupFn = systemLookup): LookupFunction {
  return (hostname, options, callback) => {
    // Answer in the shape Node asked for: an array with `all`, one address otherwise.
    const answer = (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]): void => {
      if (err) {
        callback(err, options.all ? [] : '', undefined);
      } else if (options.all) {
        callback(null, addresses);
      } else {
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      }
    };

    if (isLocalhostName(hostname)) {
      const blocked = refuse('127.0.0.1', hostname, policy);
      if (blocked) {
        process.nextTick(answer, blocked, []);
        return;
      }
    }

    const resolveOptions: dns.LookupAllOptions = { all: true };
    if (options.family !== undefined) resolveOptions.family = options.family;
    if (options.hints !== undefined) resolveOptions.hints = options.hints;

    /** Judges every answer; the first refusal wins, so no blocked address ever reaches the socket. */
    const judge = (addresses: dns.LookupAddress[]): NodeJS.ErrnoException | dns.LookupAddress[] => {
      if (!Array.isArray(addresses) || addresses.length === 0) return notFound(hostname);
      const checked: dns.LookupAddress[] = [];
      for (const { address } of addresses) {
        const blocked = refuse(String(address), hostname, policy);
        if (blocked) return blocked;
        // Derive the family from the address itself, whatever the resolver claimed.
        checked.push({ address, family: isIP(address) });
      }
      return checked;
    };

    let answered = false;
    const onResolved = (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]): void => {
      if (answered) return; // a misbehaving resolver must not get two answers to the socket
      answered = true;
      const outcome = err ?? judge(addresses);
      if (Array.isArray(outcome)) answer(null, outcome);
      else answer(outcome, []);
    };

    try {
      lookup(hostname, resolveOptions, onResolved);
    } catch (err) {
      process.nextTick(onResolved, err as NodeJS.ErrnoException, []);
    }
  };
}

/**
 * Builds the connector Herald's undici `Agent` dials through. The SSRF check is made
 * here, on the address actually dialled, because a check on the URL alone is defeated
 * by a name that resolves to a private address or re-resolves between check and dial.
 * Names go through {@link createGuardedLookup}; IP literals (for which Node never calls
 * the resolver) are checked before dialling. A refusal fails the connection with
 * {@link BlockedByPolicyError}.
 */
export function createGuardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const dial = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    lookup: createGuardedLookup(options.policy, options.lookup),
    // Explicit so behaviour is the same on every supported Node: try every checked answer.
    autoSelectFamily: true,
  });

  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0) {
      const blocked = refuse(host, host, options.policy);
      if (blocked) {
        process.nextTick(callback, blocked, null);
        return;
      }
    }
    dial({ ...connectOptions, hostname: host }, (err, socket) => {
      if (err || !socket) callback(err as Error, null);
      else callback(null, boundReads(socket));
    });
  };
}
