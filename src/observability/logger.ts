import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/index.js';
import { prettyStream } from './pretty.js';

export type { Logger };

/**
 * Paths redacted from every log line. Secrets are removed by configuration here, not by
 * hand at each call site: a new log statement cannot leak them by accident. pino's
 * wildcards match one level, so the common shapes are listed at the top level and one
 * level down (`{ endpoint: { secret } }`, `{ request: { headers: { authorization } } }`).
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'authorization',
  '*.authorization',
  'token',
  'secret',
  'secrets',
  'key',
  'password',
  '*.secret',
  '*.secrets',
  '*.token',
  '*.key',
  '*.password',
  'config.adminToken',
  'config.mainSecret',
  'config.mainSecretPrevious',
  'config.operationalWebhookSecret',
  'config.metricsToken',
  'config.databaseUrl',
];

const REDACTED = '[redacted]';

/**
 * JSON logs to stdout, or to `destination` (tests). When stdout is a terminal and no
 * destination is given, lines are formatted for people (`time LEVEL msg key=value`).
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'herald' },
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY) return pino(options, prettyStream(process.stdout));
  return pino(options);
}
