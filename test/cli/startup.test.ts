import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectOneClearLine, freePort, runHerald, spawnHerald } from '../support/process.js';

describe('start-up', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('stops with one line naming the variable when a setting is invalid', async () => {
    const { code, output } = await runHerald(['serve'], {
      HERALD_PORT: 'eighty',
      HERALD_DATA_DIR: tempDir(),
    });
    expect(code).toBe(1);
    expectOneClearLine(output, /HERALD_PORT.*"eighty" is not a whole number.*accepts a port/);
  });

  it('does not echo a secret setting back when it is invalid', async () => {
    const { code, output } = await runHerald(['serve'], {
      HERALD_ADMIN_TOKEN: 'short-secret',
      HERALD_DATA_DIR: tempDir(),
    });
    expect(code).toBe(1);
    expectOneClearLine(output, /HERALD_ADMIN_TOKEN/);
    expect(output).not.toContain('short-secret');
  });

  it('requires HERALD_MAIN_SECRET on PostgreSQL', async () => {
    const { code, output } = await runHerald(['serve'], {
      HERALD_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      HERALD_DATA_DIR: tempDir(),
    });
    expect(code).toBe(1);
    expectOneClearLine(output, /HERALD_MAIN_SECRET is required with PostgreSQL/);
  });

  it('stops with one line when the database is unreachable', async () => {
    const port = await freePort();
    const { code, output } = await runHerald(['serve'], {
      HERALD_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test`,
      HERALD_MAIN_SECRET: Buffer.alloc(32, 1).toString('base64'),
      HERALD_DATA_DIR: tempDir(),
    });
    expect(code).toBe(1);
    expectOneClearLine(output, /cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test/);
  });

  it('stops with one line when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    try {
      const dir = tempDir();
      const { code, output } = await runHerald(['serve'], {
        HERALD_PORT: String(port),
        HERALD_DATA_DIR: dir,
        HERALD_DATABASE_URL: `sqlite:${join(dir, 'h.db')}`,
      });
      expect(code).toBe(1);
      expect(output).toMatch(new RegExp(`herald: port ${port} on 127.0.0.1 is already in use`));
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('creates an admin token on first start, shows it once and keeps only its hash', async () => {
    const dir = tempDir();
    const env = {
      HERALD_DATA_DIR: dir,
      HERALD_DATABASE_URL: `sqlite:${join(dir, 'herald.db')}`,
      HERALD_ADMIN_TOKEN: '',
      HERALD_MAIN_SECRET: '',
    };
    const first = await spawnHerald('serve', env);
    const tokenFile = join(dir, 'admin-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^sk_herald_/);
    expect(first.output()).toContain(token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'main.key')).mode & 0o777).toBe(0o600);
    const res = await fetch(`${first.url}/api/v1/app`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // The database holds a hash, never the token.
    expect(readFileSync(join(dir, 'herald.db')).includes(Buffer.from(token))).toBe(false);

    const second = await spawnHerald('serve', env);
    expect(second.output()).not.toContain(token);
    const again = await fetch(`${second.url}/api/v1/app`, { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
