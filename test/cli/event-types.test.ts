import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEventTypesCommand } from '../../src/cli/commands/event-types.js';
import { createRuntime } from '../../src/cli/runtime.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import { parseCatalogFile, serializeCatalog } from '../../src/domains/event-type/catalog-file.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { TEST_ADMIN_TOKEN, TEST_MAIN_SECRET } from '../support/herald.js';

const BILLING = fileURLToPath(new URL('../../examples/catalog/billing.yaml', import.meta.url));

function billingEntries() {
  const parsed = parseCatalogFile(readFileSync(BILLING, 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.eventTypes;
}

/** Runs `herald event-types …` in-process against the test database; returns what it printed. */
async function herald(config: Readonly<Config>, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  const code = await runEventTypesCommand(args, { stdout: sink(out), stderr: sink(err), config });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

for (const backend of BACKENDS) {
  describe(`${backend}: herald event-types import / export / openapi`, () => {
    let db: TestDatabase;
    let config: Readonly<Config>;
    let dir: string;

    beforeAll(async () => {
      db = await createTestDatabase(backend);
      dir = mkdtempSync(join(tmpdir(), 'herald-catalog-'));
      config = loadConfig({
        env: {
          HERALD_DATABASE_URL: db.url,
          HERALD_DATA_DIR: db.dataDir,
          HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
          HERALD_MAIN_SECRET: TEST_MAIN_SECRET,
          HERALD_LOG_LEVEL: 'silent',
        },
      });
    });
    afterAll(async () => {
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses an invalid file with exit code 1, listing every problem, and writes nothing', async () => {
      const file = join(dir, 'broken.yaml');
      writeFileSync(
        file,
        [
          'eventTypes:',
          '  - name: invoice.paid',
          '    description: ok',
          '  - name: invoice.paid',
          '    description: twice',
          '  - name: bad name',
          '    description: x',
          '    schemas:',
          "      '1': { type: objekt }",
        ].join('\n'),
      );
      const result = await herald(config, 'import', file);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('eventTypes[1] (invoice.paid): duplicate name');
      expect(result.stderr).toContain('eventTypes[2] (bad name): name');
      expect(result.stderr).toContain('schemas.1 is not a valid JSON Schema');
      expect(result.stderr).toContain('nothing was changed');

      const exported = await herald(config, 'export', '--format', 'json');
      expect(JSON.parse(exported.stdout)).toEqual({ eventTypes: [] });
    });

    it('previews an import with --dry-run without writing', async () => {
      const result = await herald(config, 'import', BILLING, '--dry-run');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('would create invoice.paid');
      expect(result.stdout).toContain('would have created 17, updated 0, unchanged 0');
      expect(JSON.parse((await herald(config, 'export', '--format', 'json')).stdout)).toEqual({
        eventTypes: [],
      });
    });

    it('imports the billing catalog, and importing it again changes nothing', async () => {
      const first = await herald(config, 'import', BILLING);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('created 17, updated 0, unchanged 0');
      const before = (await herald(config, 'export', '--format', 'json')).stdout;

      const second = await herald(config, 'import', BILLING);
      expect(second.code).toBe(0);
      expect(second.stdout.trim()).toBe('created 0, updated 0, unchanged 17');
      const rows = await loadUpdatedAt(config);
      const again = await herald(config, 'import', BILLING);
      expect(again.stdout.trim()).toBe('created 0, updated 0, unchanged 17');
      expect(await loadUpdatedAt(config)).toEqual(rows);
      expect((await herald(config, 'export', '--format', 'json')).stdout).toBe(before);
    });

    it('exports the catalog back to the entries of the file, in YAML on stdout and JSON to a file', async () => {
      const yaml = await herald(config, 'export');
      expect(yaml.code).toBe(0);
      const fromYaml = parseCatalogFile(yaml.stdout, 'yaml');
      expect(fromYaml.ok && sortByName(fromYaml.eventTypes)).toEqual(sortByName(billingEntries()));

      const file = join(dir, 'exported.json');
      const json = await herald(config, 'export', file);
      expect(json.code).toBe(0);
      expect(json.stderr).toContain(file);
      const fromJson = parseCatalogFile(readFileSync(file, 'utf8'), 'json');
      expect(fromJson.ok && sortByName(fromJson.eventTypes)).toEqual(sortByName(billingEntries()));
    });

    it('updates the entries that changed, creates new ones, and never deletes the ones left out', async () => {
      const entries = billingEntries();
      const changed = entries
        .filter((e) => e.name.startsWith('invoice.'))
        .map((e) =>
          e.name === 'invoice.voided' ? { ...e, deprecated: true, schemaMode: 'warn' as const } : e,
        );
      changed.push({ name: 'invoice.marked_uncollectible', description: 'An invoice was written off.' });
      const file = join(dir, 'invoices.json');
      writeFileSync(file, serializeCatalog(changed, 'json'));

      const result = await herald(config, 'import', file);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('created invoice.marked_uncollectible');
      expect(result.stdout).toContain('updated invoice.voided');
      expect(result.stdout).toContain('created 1, updated 1, unchanged 4');

      const exported = parseCatalogFile((await herald(config, 'export')).stdout, 'yaml');
      if (!exported.ok) throw new Error(exported.errors.join('\n'));
      expect(exported.eventTypes).toHaveLength(18);
      expect(exported.eventTypes.find((e) => e.name === 'invoice.voided')).toMatchObject({
        deprecated: true,
        schemaMode: 'warn',
      });
      expect(exported.eventTypes.find((e) => e.name === 'payout.paid')).toBeDefined();
    });

    it('writes the OpenAPI webhooks document of the live event types', async () => {
      const file = join(dir, 'webhooks.json');
      const result = await herald(config, 'openapi', file, '--title', 'Acme Billing webhooks');
      expect(result.code).toBe(0);
      const document = JSON.parse(readFileSync(file, 'utf8'));
      expect(document.openapi).toBe('3.1.0');
      expect(document.info.title).toBe('Acme Billing webhooks');
      expect(Object.keys(document.webhooks)).toHaveLength(18);
      expect(document.webhooks['invoice.voided'].post.deprecated).toBe(true);
      expect(document.webhooks['invoice.paid'].post.requestBody.content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/invoice.paid',
      });

      const printed = JSON.parse((await herald(config, 'openapi')).stdout);
      expect(printed.info.title).toBe('Webhooks');
      expect(printed.webhooks).toEqual(document.webhooks);
    });

    it('answers a usage error with exit code 2', async () => {
      expect((await herald(config, 'import')).code).toBe(2);
      expect((await herald(config, 'frobnicate')).code).toBe(2);
      expect((await herald(config, 'export', '--format', 'xml')).code).toBe(2);
      const noExtension = await herald(config, 'import', join(dir, 'catalog.txt'));
      expect(noExtension.code).toBe(1);
      expect(noExtension.stderr).toContain('.yaml, .yml or .json');
    });
  });
}

function sortByName<T extends { name: string }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Each event type's `updated_at`, read straight from the database. */
async function loadUpdatedAt(config: Readonly<Config>): Promise<Record<string, number>> {
  const runtime = await createRuntime(config, { migrate: false });
  try {
    const rows = await runtime.ctx.store.db.selectFrom('event_type').select(['name', 'updated_at']).execute();
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.updated_at)]));
  } finally {
    await runtime.close();
  }
}
