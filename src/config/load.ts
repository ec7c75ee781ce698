import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type Config, InvalidSetting, SETTINGS, type SettingSpec } from './schema.js';

/** A configuration problem, worded for the operator: names the variable and what it accepts. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of an optional config file (JSON or YAML); defaults to `HERALD_CONFIG`. */
  file?: string;
  /** Values that win over everything (tests, CLI flags). */
  overrides?: Partial<Config>;
}

/**
 * Loads the configuration once: defaults, then the optional config file, then `HERALD_*`
 * environment variables. The result is validated as a whole and frozen.
 */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const fileValues = readConfigFile(options.file ?? env.HERALD_CONFIG);
  const config = {} as Record<keyof Config, unknown>;

  for (const spec of SETTINGS) {
    config[spec.key] = spec.default;
    const fromFile = fileValues[spec.key] ?? fileValues[spec.env];
    if (fromFile !== undefined) config[spec.key] = parseValue(spec, stringify(fromFile), 'config file key');
    let raw = env[spec.env];
    if (raw === undefined && spec.key === 'databaseUrl') raw = env.DATABASE_URL;
    if (raw !== undefined) config[spec.key] = parseValue(spec, raw, 'environment variable');
  }
  Object.assign(config, options.overrides ?? {});
  return Object.freeze(checkWhole(config as Config));
}

function parseValue(spec: SettingSpec, raw: string, where: string): unknown {
  try {
    return spec.parse(raw);
  } catch (err) {
    const why = err instanceof InvalidSetting ? err.message : 'is invalid';
    // A secret's value is never echoed back, even when it is wrong.
    const shown = spec.secret ? 'the value' : why;
    throw new ConfigError(
      `${spec.env} (${where}): ${shown}${spec.secret ? ' is invalid' : ''}; it accepts ${spec.accepts}`,
    );
  }
}

function checkWhole(config: Config): Config {
  if (config.leaseMs < config.requestTimeoutMs + 5_000) {
    throw new ConfigError(
      `HERALD_LEASE_MS (${config.leaseMs}) must exceed HERALD_REQUEST_TIMEOUT_MS (${config.requestTimeoutMs}) by at least 5000 ms, ` +
        'or a slow delivery could be claimed twice',
    );
  }
  if (config.workerDeadAfterMs < 3 * config.heartbeatMs) {
    throw new ConfigError(
      `HERALD_WORKER_DEAD_AFTER_MS (${config.workerDeadAfterMs}) must be at least 3 × HERALD_HEARTBEAT_MS (${config.heartbeatMs}), ` +
        'or one late heartbeat would make a live worker look dead',
    );
  }
  if (config.storedResponseBytes > config.maxResponseBytes) {
    throw new ConfigError('HERALD_STORED_RESPONSE_BYTES must not exceed HERALD_MAX_RESPONSE_BYTES');
  }
  if (config.operationalWebhookUrl && !config.operationalWebhookSecret) {
    throw new ConfigError(
      'HERALD_OPERATIONAL_WEBHOOK_SECRET is required with HERALD_OPERATIONAL_WEBHOOK_URL (a whsec_ secret to sign them)',
    );
  }
  if (config.databaseUrl.startsWith('postgres') && !config.mainSecret) {
    throw new ConfigError(
      'HERALD_MAIN_SECRET is required with PostgreSQL (every process must share it); generate one with `herald secrets generate-main-key`',
    );
  }
  return config;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `HERALD_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `HERALD_CONFIG: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`HERALD_CONFIG: ${path} must hold an object of settings`);
  }
  const known = new Set(SETTINGS.flatMap((s) => [s.key, s.env] as string[]));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`HERALD_CONFIG: ${path} has an unknown setting "${key}"`);
  }
  return parsed as Record<string, unknown>;
}

function stringify(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
