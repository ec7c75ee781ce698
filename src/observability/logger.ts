import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/index.js';

export type { Logger };

/**
 * Paths redacted from every log line. Secrets are removed by configuration here, not by
 * hand at each call site: a new log statement cannot leak them by accident.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'secret',
  'key',
  '*.secret',
  '*.token',
  '*.key',
  'config.adminToken',
  'config.mainSecret',
  'config.mainSecretPrevious',
  'config.operationalWebhookSecret',
  'config.metricsToken',
  'config.databaseUrl',
];

/** JSON logs to stdout; human-readable when stdout is a terminal and pino-pretty is installed. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'herald' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  return pino(options);
}
