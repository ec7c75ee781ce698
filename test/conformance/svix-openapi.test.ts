import { describe, expect, it } from 'vitest';
import { svixDocumentAvailable, svixSchemaViolations } from './svix-openapi.js';

/**
 * The check every answer of the Svix server suite goes through (svix-server/harness.ts) must be
 * able to fail: a body Svix's OpenAPI document does not allow is reported, one it allows is not,
 * and the recorded exceptions let through only what they name. Without the document (a clone
 * without `../shared`) svix-openapi.ts has already said so loudly, and these cases are skipped.
 */
describe.skipIf(!svixDocumentAvailable())("Svix's OpenAPI check of Herald's answers", () => {
  const app = {
    id: 'app_1srOrx2ZWZBpBUvZwXKQmoEYga2',
    uid: 'acme',
    name: 'Acme Inc.',
    rateLimit: null,
    metadata: {},
    createdAt: '2026-12-04T00:00:00.000Z',
    updatedAt: '2026-12-04T00:00:00.000Z',
  };

  it('passes an answer that satisfies its operation, with or without a trailing slash or a query', () => {
    expect(svixSchemaViolations('GET', `/api/v1/app/${app.id}`, 200, app)).toEqual([]);
    expect(svixSchemaViolations('GET', `/api/v1/app/${app.id}/?x=1`, 200, app)).toEqual([]);
  });

  it('reports an answer that leaves out a required field, naming the operation and the field', () => {
    const { name: _left, ...withoutName } = app;
    for (const path of [`/api/v1/app/${app.id}`, `/api/v1/app/${app.id}/`]) {
      const violations = svixSchemaViolations('GET', path, 200, withoutName);
      expect(violations).toHaveLength(1);
      expect(violations[0]).toContain(`GET ${path} → 200`);
      expect(violations[0]).toContain("must have required property 'name'");
    }
  });

  it('reports a value of the wrong type in a list answer', () => {
    const list = { data: [{ ...app, metadata: 'none' }], done: true, iterator: null, prevIterator: null };
    expect(svixSchemaViolations('GET', '/api/v1/app/', 200, list)).toEqual([
      expect.stringContaining('/data/0/metadata must be object'),
    ]);
  });

  it('lets through a whpk_ key, the exception Svix tests expect, and nothing else the pattern forbids', () => {
    const path = `/api/v1/app/${app.id}/endpoint/ep_1/secret/`;
    expect(
      svixSchemaViolations('GET', path, 200, {
        key: 'whpk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqrTw==',
      }),
    ).toEqual([]);
    expect(
      svixSchemaViolations('GET', path, 200, { key: 'whkey_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8G' }),
    ).toEqual([expect.stringContaining('/key must match pattern')]);
  });

  it("leaves Herald's own operations alone (Svix's document does not describe them)", () => {
    expect(svixSchemaViolations('POST', `/api/v1/app/${app.id}/msg/batch`, 200, { anything: 1 })).toEqual([]);
  });
});
