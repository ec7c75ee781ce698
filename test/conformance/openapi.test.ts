import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { callApi } from './api-client.js';
import { compareOperation, type Json, operationsOf } from './openapi-compat.js';

/** The Svix API reference (a copy of the project's `reference/svix-api-v1.json`, kept beside the test). */
const reference: Json = JSON.parse(
  readFileSync(new URL('./reference/svix-api-v1.json', import.meta.url), 'utf8'),
);
// Operations without an operationId (the bare `/health/ping` probe) are not part of any SDK.
const referenceOperations = [...operationsOf(reference).entries()].filter(
  ([, op]) => op.operationId !== undefined,
);

for (const backend of BACKENDS) {
  describe(`${backend}: Herald's OpenAPI document matches the Svix reference`, () => {
    let herald: TestHerald;
    let document: Json;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      const answer = await callApi(herald.url, null, 'GET', '/api/v1/openapi.json');
      expect(answer.status).toBe(200);
      document = answer.body;
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('is served without a token as an OpenAPI 3.1 document', () => {
      expect(document.openapi).toMatch(/^3\.1\./);
      expect(Object.keys(document.paths).length).toBeGreaterThan(0);
    });

    it('has no two operations with the same operationId', () => {
      const seen = new Map<string, string>();
      const duplicates: string[] = [];
      for (const [key, op] of operationsOf(document)) {
        // HEAD twins of GET routes share their GET's operationId by construction.
        if (op.method === 'head' || op.operationId === undefined) continue;
        const other = seen.get(op.operationId);
        if (other) duplicates.push(`${op.operationId}: ${other} and ${key}`);
        seen.set(op.operationId, key);
      }
      expect(duplicates).toEqual([]);
    });

    it.each(referenceOperations)('implements %s as the reference defines it', (key, referenceOp) => {
      const heraldOp = operationsOf(document).get(key);
      const diffs = heraldOp
        ? compareOperation(document, reference, heraldOp, referenceOp)
        : [`${key} (${referenceOp.operationId}): missing from Herald's document`];
      expect(diffs).toEqual([]);
    });
  });
}
