import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { driftBetween, fromSchema, interfacesOf, resolve } from './api-type-drift.js';

type Json = Record<string, unknown>;

const TYPES_FILE = fileURLToPath(new URL('../../ui/src/api/types.ts', import.meta.url));
const UI_TYPES = interfacesOf(TYPES_FILE);

/**
 * The schema each hand-written interface describes, where it is not the component of the
 * same name. A new interface in types.ts with neither fails below until it is named here.
 */
const SCHEMAS_OF: Record<string, (document: Json) => string[]> = {
  OverviewOut: () => ['#/components/schemas/StatsOverviewOut'],
  WindowStats: () => [
    '#/components/schemas/EndpointStats/properties/lastHour',
    '#/components/schemas/EndpointStats/properties/lastDay',
  ],
  // The one generic envelope stands for every list the API answers.
  ListResponse: (document) =>
    Object.keys((document.components as Json).schemas as Json)
      .filter((name) => name.startsWith('ListResponse_'))
      .map((name) => `#/components/schemas/${name}`),
};

function schemasOf(document: Json, name: string): string[] {
  const named = SCHEMAS_OF[name];
  if (named) return named(document);
  const ref = `#/components/schemas/${name}`;
  resolve(document, ref); // throws, naming the interface, when there is no such schema
  return [ref];
}

// The document is built from the route schemas and is the same on every backend (the
// conformance suite reads it on each); one SQLite Herald serves it here.
describe('the UI’s API types (ui/src/api/types.ts) match the OpenAPI document', () => {
  let herald: TestHerald;
  let document: Json;

  beforeAll(async () => {
    herald = await startTestHerald('sqlite', { worker: false });
    const answer = await callApi(herald.url, null, 'GET', '/api/v1/openapi.json');
    expect(answer.status).toBe(200);
    document = answer.body;
  });
  afterAll(async () => {
    await herald?.stop();
  });

  it('finds the interfaces to check', () => {
    expect([...UI_TYPES.keys()]).toEqual(
      expect.arrayContaining(['ApplicationOut', 'EndpointOut', 'MessageOut']),
    );
  });

  it.each([...UI_TYPES.keys()])('%s reads what the API sends', (name) => {
    const ui = UI_TYPES.get(name) ?? [];
    const diffs = schemasOf(document, name).flatMap((ref) =>
      driftBetween(fromSchema(document, resolve(document, ref)), ui, `${name} (${ref.split('/').pop()})`),
    );
    expect(diffs).toEqual([]);
  });

  it('reports a field the API lacks, one it may leave out, and a value the UI does not allow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-types-'));
    try {
      const file = join(dir, 'types.ts');
      writeFileSync(
        file,
        `export interface EndpointOut {
          id: string;
          uid: string;
          nickname?: string;
          disabledReason: string | null;
          version: string;
        }`,
      );
      const drifted = interfacesOf(file).get('EndpointOut') ?? [];
      const schema = fromSchema(document, resolve(document, '#/components/schemas/EndpointOut'));
      expect(driftBetween(schema, drifted, 'EndpointOut')).toEqual([
        'EndpointOut.uid: the API may send null; the UI’s type allows string',
        'EndpointOut.nickname: the UI reads it; the API has no such field',
        'EndpointOut.disabledReason: the UI counts on it; the API may leave it out',
        'EndpointOut.version: the API may send number; the UI’s type allows string',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
