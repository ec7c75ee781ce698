import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { TEST_ADMIN_TOKEN, TEST_MAIN_SECRET } from './herald.js';
import { freePort } from './ports.js';

export { freePort };

/** The built CLI, which test/global-setup.ts rebuilds when a source changed. */
const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface HeraldProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/**
 * Runs `herald <role>` as a real child process (the built CLI), so tests can SIGKILL or
 * SIGTERM it like an operator would.
 */
export async function spawnHerald(
  role: 'serve' | 'api' | 'worker' | 'migrate',
  env: Record<string, string>,
): Promise<HeraldProcess> {
  const port = Number(env.HERALD_PORT ?? (await freePort()));
  let output = '';
  const child = spawn(process.execPath, [MAIN, role], {
    env: {
      PATH: process.env.PATH,
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_MAIN_SECRET: TEST_MAIN_SECRET,
      HERALD_ALLOWED_NETWORKS: '127.0.0.0/8',
      HERALD_LOG_LEVEL: 'warn',
      ...env,
      HERALD_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const url = `http://127.0.0.1:${port}`;
  if (role === 'serve' || role === 'api') {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const up = await fetch(`${url}/api/v1/health`).then(
        (r) => r.status === 204,
        () => false,
      );
      if (up) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`herald ${role} did not start:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { child, url, output: () => output, exited };
}

/**
 * Runs `herald …args` to completion (in `cwd` when given) and returns its exit code and output
 * (stdout and stderr together, and each apart).
 */
export async function runHerald(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<{ code: number; output: string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let output = '';
    let stdout = '';
    let stderr = '';
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd ? { cwd } : {}),
    });
    child.stdout.on('data', (d) => {
      output += String(d);
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      output += String(d);
      stderr += String(d);
    });
    child.on('exit', (code) => resolve({ code: code ?? -1, output, stdout, stderr }));
  });
}

/** One line on stderr, no stack trace: what an operator should see when start-up fails. */
export function expectOneClearLine(output: string, pattern: RegExp) {
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^herald: /);
  expect(lines[0]).toMatch(pattern);
  expect(output).not.toMatch(/\n\s+at /);
}
