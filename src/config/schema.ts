/**
 * The one configuration schema. Each setting has a name, the environment variable that sets
 * it, a default, a parser that says what it accepts, and a description (the README's
 * configuration table is this list).
 */

export type SignatureType = 'hmac' | 'ed25519';
export type SchemaModeSetting = 'enforce' | 'warn' | 'off';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  databaseUrl: string;
  sqliteMaxSizeMb: number;
  dataDir: string;
  host: string;
  port: number;
  publicUrl: string | null;
  adminToken: string | null;
  mainSecret: string | null;
  mainSecretPrevious: string[];
  retrySchedule: number[];
  requestTimeoutMs: number;
  leaseMs: number;
  heartbeatMs: number;
  workerDeadAfterMs: number;
  allowedNetworks: string[];
  httpsOnly: boolean;
  workerConcurrency: number;
  endpointConcurrency: number;
  claimBatchSize: number;
  maxResponseBytes: number;
  storedResponseBytes: number;
  maxPayloadBytes: number;
  endpointFailureDisableAfterMs: number;
  secretRotationGraceMs: number;
  defaultSignatureType: SignatureType;
  svixHeaders: boolean;
  operationalWebhookUrl: string | null;
  operationalWebhookSecret: string | null;
  requireKnownEventTypes: boolean;
  schemaMode: SchemaModeSetting;
  portalTokenTtlSeconds: number;
  idempotencyTtlSeconds: number;
  apiRateLimitPerSecond: number;
  apiRateLimitAdmin: boolean;
  retentionDays: number;
  attemptRetentionDays: number;
  metricsToken: string | null;
  metricsPort: number | null;
  workerThread: boolean;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
}

type Parser<T> = (raw: string) => T;

export interface SettingSpec<K extends keyof Config = keyof Config> {
  key: K;
  env: string;
  default: Config[K];
  accepts: string;
  description: string;
  parse: Parser<Config[K]>;
  secret?: boolean;
}

/** Raised by a parser; the loader adds the variable's name and what it accepts. */
export class InvalidSetting extends Error {}

const str: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new InvalidSetting('must not be empty');
  return raw.trim();
};
const optStr: Parser<string | null> = (raw) => (raw.trim() === '' ? null : raw.trim());
const int =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const trimmed = raw.trim();
    if (!/^\d+$/.test(trimmed)) throw new InvalidSetting(`"${trimmed}" is not a whole number`);
    const value = Number(trimmed);
    if (value < min || value > max) throw new InvalidSetting(`${value} is out of range`);
    return value;
  };
const bool: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new InvalidSetting(`"${raw}" is not a boolean`);
};
const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) => {
    const v = raw.trim().toLowerCase() as T;
    if (!values.includes(v)) throw new InvalidSetting(`"${raw}" is not one of ${values.join(', ')}`);
    return v;
  };
const list: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const seconds: Parser<number[]> = (raw) => {
  const parts = list(raw);
  if (parts.length === 0) throw new InvalidSetting('needs at least one delay');
  return parts.map((p) => {
    if (!/^\d+(\.\d+)?$/.test(p)) throw new InvalidSetting(`"${p}" is not a number of seconds`);
    return Number(p);
  });
};
const httpUrl: Parser<string | null> = (raw) => {
  if (raw.trim() === '') return null;
  try {
    const url = new URL(raw.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    return url.toString();
  } catch {
    throw new InvalidSetting(`"${raw}" is not an http(s) URL`);
  }
};
const databaseUrl: Parser<string> = (raw) => {
  const v = raw.trim();
  if (/^sqlite:/.test(v) || /^postgres(ql)?:\/\//.test(v)) return v;
  throw new InvalidSetting(`"${v}" is neither sqlite:PATH nor postgres://…`);
};

const DAY_MS = 86_400_000;

function setting<K extends keyof Config>(spec: SettingSpec<K>): SettingSpec<K> {
  return spec;
}

/** Every setting Herald reads. Order is the README's order. */
export const SETTINGS = [
  setting({
    key: 'databaseUrl',
    env: 'HERALD_DATABASE_URL',
    default: 'sqlite:./data/herald.db',
    accepts: 'sqlite:PATH or postgres://user@host:port/db (DATABASE_URL is read when unset)',
    description: 'Where Herald keeps its data. SQLite for one process; PostgreSQL to scale out.',
    parse: databaseUrl,
    secret: true,
  }),
  setting({
    key: 'sqliteMaxSizeMb',
    env: 'HERALD_SQLITE_MAX_SIZE_MB',
    default: 0,
    accepts: 'megabytes; 0 is no limit',
    description:
      'Largest size the SQLite database may grow to. Writes beyond it answer 507 storage_full, as on a full disk, and resume once retention (or an operator) frees space.',
    parse: int(0, 10_000_000),
  }),
  setting({
    key: 'dataDir',
    env: 'HERALD_DATA_DIR',
    default: './data',
    accepts: 'a directory path',
    description: 'Holds the generated admin token and (on SQLite) the generated main key.',
    parse: str,
  }),
  setting({
    key: 'host',
    env: 'HERALD_HOST',
    default: '127.0.0.1',
    accepts: 'an interface address',
    description: 'Address the HTTP server listens on.',
    parse: str,
  }),
  setting({
    key: 'port',
    env: 'HERALD_PORT',
    default: 8040,
    accepts: 'a port 0-65535',
    description: 'Port the HTTP server listens on.',
    parse: int(0, 65535),
  }),
  setting({
    key: 'publicUrl',
    env: 'HERALD_PUBLIC_URL',
    default: null,
    accepts: 'an http(s) URL',
    description:
      'The URL users reach Herald at (used in consumer-portal links). Defaults to http://HOST:PORT.',
    parse: httpUrl,
  }),
  setting({
    key: 'adminToken',
    env: 'HERALD_ADMIN_TOKEN',
    default: null,
    accepts: 'a token of at least 24 characters',
    description: 'An admin API token to accept (stored hashed). When unset, one is generated on first start.',
    parse: (raw) => {
      const v = raw.trim();
      if (v === '') return null;
      if (v.length < 24) throw new InvalidSetting('is shorter than 24 characters');
      return v;
    },
    secret: true,
  }),
  setting({
    key: 'mainSecret',
    env: 'HERALD_MAIN_SECRET',
    default: null,
    accepts: 'base64 of 32 random bytes (`herald secrets generate-main-key`)',
    description:
      'Main key that encrypts endpoint secrets and custom header values at rest. Generated into the data directory on SQLite; required on PostgreSQL.',
    parse: optStr,
    secret: true,
  }),
  setting({
    key: 'mainSecretPrevious',
    env: 'HERALD_MAIN_SECRET_PREVIOUS',
    default: [],
    accepts: 'comma-separated main keys',
    description:
      'Former main keys, still used to decrypt while `herald secrets rotate-main-key` re-encrypts.',
    parse: list,
    secret: true,
  }),
  setting({
    key: 'retrySchedule',
    env: 'HERALD_RETRY_SCHEDULE',
    default: [5, 300, 1800, 7200, 18000, 36000, 36000],
    accepts: 'comma-separated seconds',
    description: 'Delay before each retry, after the previous try; ±20% jitter is added.',
    parse: seconds,
  }),
  setting({
    key: 'requestTimeoutMs',
    env: 'HERALD_REQUEST_TIMEOUT_MS',
    default: 15_000,
    accepts: 'milliseconds, 100-300000',
    description: 'Time a receiver has to answer one delivery request.',
    parse: int(100, 300_000),
  }),
  setting({
    key: 'leaseMs',
    env: 'HERALD_LEASE_MS',
    default: 60_000,
    accepts: 'milliseconds; must exceed the request timeout by 5 s',
    description: 'How long a worker owns a claimed delivery before another may take it over.',
    parse: int(1_000, 3_600_000),
  }),
  setting({
    key: 'heartbeatMs',
    env: 'HERALD_HEARTBEAT_MS',
    default: 2_000,
    accepts: 'milliseconds, 100-60000',
    description:
      'How often each worker records that it is alive, and looks for dead workers whose deliveries to send again.',
    parse: int(100, 60_000),
  }),
  setting({
    key: 'workerDeadAfterMs',
    env: 'HERALD_WORKER_DEAD_AFTER_MS',
    default: 10_000,
    accepts: 'milliseconds; at least 3 heartbeats',
    description:
      'A worker silent this long is dead: another worker makes the deliveries it leased due at once (instead of after HERALD_LEASE_MS). Several heartbeats long, so a pause (GC, a blocked event loop) is not a death.',
    parse: int(300, 3_600_000),
  }),
  setting({
    key: 'allowedNetworks',
    env: 'HERALD_ALLOWED_NETWORKS',
    default: [],
    accepts: 'comma-separated CIDRs, e.g. 10.0.0.0/8,127.0.0.1/32',
    description: 'Private networks that endpoints may reach despite the SSRF guard.',
    parse: list,
  }),
  setting({
    key: 'httpsOnly',
    env: 'HERALD_HTTPS_ONLY',
    default: false,
    accepts: 'true or false',
    description: 'Refuse endpoints with plain http URLs.',
    parse: bool,
  }),
  setting({
    key: 'workerConcurrency',
    env: 'HERALD_WORKER_CONCURRENCY',
    default: 128,
    accepts: 'a number 1-10000',
    description: 'Deliveries in flight at once in one worker process.',
    parse: int(1, 10_000),
  }),
  setting({
    key: 'endpointConcurrency',
    env: 'HERALD_ENDPOINT_CONCURRENCY',
    default: 16,
    accepts: 'a number 1-1000',
    description: 'Deliveries in flight at once to one endpoint, per worker process.',
    parse: int(1, 1_000),
  }),
  setting({
    key: 'claimBatchSize',
    env: 'HERALD_CLAIM_BATCH_SIZE',
    default: 256,
    accepts: 'a number 1-5000',
    description: 'Deliveries claimed per database round trip.',
    parse: int(1, 5_000),
  }),
  setting({
    key: 'maxResponseBytes',
    env: 'HERALD_MAX_RESPONSE_BYTES',
    default: 65_536,
    accepts: 'bytes',
    description: 'How much of a receiver response body is read.',
    parse: int(0, 10_485_760),
  }),
  setting({
    key: 'storedResponseBytes',
    env: 'HERALD_STORED_RESPONSE_BYTES',
    default: 8_192,
    accepts: 'bytes',
    description: 'How much of a receiver response body is kept in the attempt log.',
    parse: int(0, 1_048_576),
  }),
  setting({
    key: 'maxPayloadBytes',
    env: 'HERALD_MAX_PAYLOAD_BYTES',
    default: 1_048_576,
    accepts: 'bytes',
    description: 'Largest API request body accepted (413 above).',
    parse: int(1_024, 104_857_600),
  }),
  setting({
    key: 'endpointFailureDisableAfterMs',
    env: 'HERALD_ENDPOINT_FAILURE_DISABLE_AFTER',
    default: 5 * DAY_MS,
    accepts: 'milliseconds (default 5 days); 0 never disables',
    description: 'An endpoint failing every attempt for this long is disabled.',
    parse: int(0, 365 * DAY_MS),
  }),
  setting({
    key: 'secretRotationGraceMs',
    env: 'HERALD_SECRET_ROTATION_GRACE_MS',
    default: DAY_MS,
    accepts: 'milliseconds (default 24 h)',
    description: 'How long a rotated-out endpoint secret keeps signing.',
    parse: int(0, 30 * DAY_MS),
  }),
  setting({
    key: 'defaultSignatureType',
    env: 'HERALD_DEFAULT_SIGNATURE_TYPE',
    default: 'hmac',
    accepts: 'hmac or ed25519',
    description: 'Kind of secret generated for new endpoints.',
    parse: oneOf<SignatureType>('hmac', 'ed25519'),
  }),
  setting({
    key: 'svixHeaders',
    env: 'HERALD_SVIX_HEADERS',
    default: true,
    accepts: 'true or false',
    description: 'Also send svix-id/svix-timestamp/svix-signature for receivers using Svix libraries.',
    parse: bool,
  }),
  setting({
    key: 'operationalWebhookUrl',
    env: 'HERALD_OPERATIONAL_WEBHOOK_URL',
    default: null,
    accepts: 'an http(s) URL',
    description: 'Where Herald sends its own events (endpoint.disabled, message.attempt.exhausted, …).',
    parse: httpUrl,
  }),
  setting({
    key: 'operationalWebhookSecret',
    env: 'HERALD_OPERATIONAL_WEBHOOK_SECRET',
    default: null,
    accepts: 'a whsec_ secret',
    description: 'Secret that signs operational webhooks.',
    parse: optStr,
    secret: true,
  }),
  setting({
    key: 'requireKnownEventTypes',
    env: 'HERALD_REQUIRE_KNOWN_EVENT_TYPES',
    default: false,
    accepts: 'true or false',
    description: 'Refuse messages whose event type is not in the catalog.',
    parse: bool,
  }),
  setting({
    key: 'schemaMode',
    env: 'HERALD_SCHEMA_MODE',
    default: 'enforce',
    accepts: 'enforce, warn or off',
    description: 'What happens to a payload that does not match its event type schema.',
    parse: oneOf<SchemaModeSetting>('enforce', 'warn', 'off'),
  }),
  setting({
    key: 'portalTokenTtlSeconds',
    env: 'HERALD_PORTAL_TOKEN_TTL_SECONDS',
    default: 7 * 86_400,
    accepts: 'seconds',
    description: 'Lifetime of consumer-portal tokens.',
    parse: int(60, 365 * 86_400),
  }),
  setting({
    key: 'idempotencyTtlSeconds',
    env: 'HERALD_IDEMPOTENCY_TTL_SECONDS',
    default: 12 * 3_600,
    accepts: 'seconds',
    description: 'How long an Idempotency-Key replays its first response.',
    parse: int(1, 30 * 86_400),
  }),
  setting({
    key: 'apiRateLimitPerSecond',
    env: 'HERALD_API_RATE_LIMIT',
    default: 0,
    accepts: 'requests per second per token; 0 is off',
    description: 'Per-token API rate limit (429 with Retry-After beyond it).',
    parse: int(0, 1_000_000),
  }),
  setting({
    key: 'apiRateLimitAdmin',
    env: 'HERALD_API_RATE_LIMIT_ADMIN',
    default: false,
    accepts: 'true or false',
    description: 'Apply the API rate limit to admin tokens too.',
    parse: bool,
  }),
  setting({
    key: 'retentionDays',
    env: 'HERALD_RETENTION_DAYS',
    default: 90,
    accepts: 'days',
    description: 'Message payloads are deleted after this many days (deliveries still owed are kept).',
    parse: int(1, 3_650),
  }),
  setting({
    key: 'attemptRetentionDays',
    env: 'HERALD_ATTEMPT_RETENTION_DAYS',
    default: 90,
    accepts: 'days',
    description: 'Attempt records are deleted after this many days.',
    parse: int(1, 3_650),
  }),
  setting({
    key: 'metricsToken',
    env: 'HERALD_METRICS_TOKEN',
    default: null,
    accepts: 'a token',
    description: 'When set, GET /metrics requires `Authorization: Bearer <token>`.',
    parse: optStr,
    secret: true,
  }),
  setting({
    key: 'metricsPort',
    env: 'HERALD_METRICS_PORT',
    default: null,
    accepts: 'a port 1-65535',
    description:
      'Port on HERALD_HOST where `herald worker` serves GET /metrics and GET /api/v1/health. Unset: workers listen on no port. `serve` and `api` ignore it (their /metrics is on HERALD_PORT).',
    parse: (raw) => (raw.trim() === '' ? null : int(1, 65_535)(raw)),
  }),
  setting({
    key: 'workerThread',
    env: 'HERALD_WORKER_THREAD',
    default: true,
    accepts: 'true or false',
    description:
      '`herald serve` on a SQLite file runs the delivery worker on a thread of its own, beside the API: one process, two event loops. false: both on one thread.',
    parse: bool,
  }),
  setting({
    key: 'logLevel',
    env: 'HERALD_LOG_LEVEL',
    default: 'info',
    accepts: 'fatal, error, warn, info, debug, trace or silent',
    description: 'Log verbosity.',
    parse: oneOf<LogLevel>('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  }),
  setting({
    key: 'shutdownTimeoutMs',
    env: 'HERALD_SHUTDOWN_TIMEOUT_MS',
    default: 20_000,
    accepts: 'milliseconds',
    description: 'On SIGTERM, how long in-flight deliveries may finish before they are released.',
    parse: int(0, 600_000),
  }),
] as SettingSpec[];
