export { ConfigError, type LoadOptions, loadConfig } from './load.js';
export type { Config, LogLevel, SchemaModeSetting, SignatureType } from './schema.js';
export { SETTINGS } from './schema.js';
