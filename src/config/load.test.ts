import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('runs with no configuration at all: SQLite in ./data on 127.0.0.1:8040', () => {
    const config = loadConfig({ env: {} });
    expect(config.databaseUrl).toBe('sqlite:./data/herald.db');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8040);
    expect(config.retrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(config.requestTimeoutMs).toBe(15_000);
  });

  it('is frozen once loaded', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow();
  });

  it('takes a config file, and environment variables over it', () => {
    const file = join(dir, 'herald.yaml');
    writeFileSync(file, 'port: 9000\nHERALD_HOST: 0.0.0.0\nretrySchedule: [1, 2]\n');
    const fromFile = loadConfig({ env: { HERALD_CONFIG: file } });
    expect(fromFile.port).toBe(9000);
    expect(fromFile.host).toBe('0.0.0.0');
    expect(fromFile.retrySchedule).toEqual([1, 2]);
    const overridden = loadConfig({ env: { HERALD_CONFIG: file, HERALD_PORT: '9100' } });
    expect(overridden.port).toBe(9100);
  });

  it('reads DATABASE_URL when HERALD_DATABASE_URL is unset', () => {
    const secret = Buffer.alloc(32, 1).toString('base64');
    expect(
      loadConfig({ env: { DATABASE_URL: 'postgres://db/herald', HERALD_MAIN_SECRET: secret } }).databaseUrl,
    ).toBe('postgres://db/herald');
    expect(
      loadConfig({ env: { DATABASE_URL: 'postgres://db/x', HERALD_DATABASE_URL: 'sqlite:/tmp/h.db' } })
        .databaseUrl,
    ).toBe('sqlite:/tmp/h.db');
  });

  it.each([
    [{ HERALD_PORT: '70000' }, /HERALD_PORT.*70000 is out of range.*accepts a port/],
    [{ HERALD_RETRY_SCHEDULE: '5,soon' }, /HERALD_RETRY_SCHEDULE.*"soon" is not a number of seconds/],
    [{ HERALD_HTTPS_ONLY: 'maybe' }, /HERALD_HTTPS_ONLY.*"maybe" is not a boolean/],
    [{ HERALD_DATABASE_URL: 'mysql://x' }, /HERALD_DATABASE_URL/],
    [{ HERALD_DEFAULT_SIGNATURE_TYPE: 'rsa' }, /HERALD_DEFAULT_SIGNATURE_TYPE.*not one of hmac, ed25519/],
    [
      { HERALD_REQUEST_TIMEOUT_MS: '60000' },
      /HERALD_LEASE_MS \(60000\) must exceed HERALD_REQUEST_TIMEOUT_MS \(60000\)/,
    ],
    [
      { HERALD_OPERATIONAL_WEBHOOK_URL: 'https://ops.example.com/hook' },
      /HERALD_OPERATIONAL_WEBHOOK_SECRET is required/,
    ],
    [{ HERALD_DATABASE_URL: 'postgres://db/herald' }, /HERALD_MAIN_SECRET is required with PostgreSQL/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it('never repeats a secret value in its error', () => {
    try {
      loadConfig({ env: { HERALD_ADMIN_TOKEN: 'too-short-secret' } });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/HERALD_ADMIN_TOKEN/);
      expect((err as Error).message).not.toContain('too-short-secret');
    }
  });

  it('refuses an unknown key in the config file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({ env: { HERALD_CONFIG: file } })).toThrow(/unknown setting "prot"/);
  });
});
