import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSvixErrorBody } from '../conformance/api-client.js';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import {
  deepJson,
  hostileUrlString,
  hostileValue,
  pathTraversal,
  protoPollution,
  toJsonText,
} from './hostile-values.js';

/**
 * Generated hostile input thrown at every field and query parameter of the application,
 * endpoint and message create and list routes. Every answer must be a 2xx or a well-formed
 * Svix 4xx (never a 5xx, never a stack trace), the server must stay up, and data stored before
 * must come out unchanged.
 */

const RUNS = 60;
const EVENT_TYPE = 'hostile.test';

interface Answer {
  status: number;
  text: string;
}

type Target = { method: 'POST' | 'GET'; path: string; valid: Record<string, unknown>; fields: string[] };

for (const backend of BACKENDS) {
  describe(`${backend}: hostile input gets a clear 4xx and harms nothing`, () => {
    let herald: TestHerald;

    async function send(
      method: string,
      path: string,
      body?: string,
      contentType = 'application/json',
    ): Promise<Answer> {
      const res = await fetch(`${herald.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          ...(body !== undefined ? { 'content-type': contentType } : {}),
        },
        body,
      });
      return { status: res.status, text: await res.text() };
    }

    /** The server-side cause of a 5xx, from Herald's own log, to name the bug in the failure. */
    function lastLoggedError(): string {
      const line = herald.logs.findLast((l) => l.includes('"level":50'));
      if (!line) return '';
      const err = (JSON.parse(line) as { err?: { type?: string; message?: string; stack?: string } }).err;
      const where = err?.stack?.split('\n').find((frame) => frame.includes('/src/'));
      return ` [logged: ${err?.type}: ${err?.message}${where ? ` ${where.trim()}` : ''}]`;
    }

    /** A 2xx, or a 4xx with Svix's error body; anything else fails the property with the evidence. */
    function assertWellFormed(answer: Answer, what: string): void {
      const fail = () => {
        throw new Error(`${what} → ${answer.status} ${answer.text.slice(0, 300)}${lastLoggedError()}`);
      };
      if (answer.status >= 200 && answer.status < 300) return;
      if (answer.status < 400 || answer.status >= 500) fail();
      let body: unknown;
      try {
        body = JSON.parse(answer.text);
      } catch {
        fail();
      }
      if (!isSvixErrorBody(answer.status, body) || /\n\s+at |node_modules/.test(answer.text)) fail();
    }

    /** The rows of the application stored before the run, which no hostile request may change. */
    async function victimRows() {
      const { db } = herald.ctx.store;
      const app = await db
        .selectFrom('application')
        .selectAll()
        .where('uid', '=', 'victim')
        .executeTakeFirstOrThrow();
      return {
        app,
        endpoints: await db
          .selectFrom('endpoint')
          .selectAll()
          .where('app_id', '=', app.id)
          .orderBy('id')
          .execute(),
        messages: await db
          .selectFrom('message')
          .selectAll()
          .where('app_id', '=', app.id)
          .orderBy('id')
          .execute(),
        tokens: await db.selectFrom('token').selectAll().orderBy('id').execute(),
        eventTypes: await db.selectFrom('event_type').selectAll().orderBy('name').execute(),
      };
    }

    /**
     * Runs a property and fails with a short report: fast-check's own prints the whole
     * counterexample, which for a 200 KB string or a 50,000-level object drowns the cause.
     */
    async function check<T>(property: fc.IAsyncProperty<T>): Promise<void> {
      const result = await fc.check(property, { numRuns: RUNS });
      if (result.failed) {
        const cause =
          result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        throw new Error(
          `after ${result.numRuns} runs (seed ${result.seed}, path "${result.counterexamplePath}"): ${cause}`,
        );
      }
    }

    /** Runs `property`, then checks the server still answers and the victim's rows are as they were. */
    async function harmless(property: () => Promise<void>): Promise<void> {
      const before = await victimRows();
      await property();
      expect((await send('GET', '/api/v1/health')).status).toBe(204);
      expect(await victimRows()).toEqual(before);
    }

    const creates: Target[] = [
      {
        method: 'POST',
        path: '/api/v1/app',
        valid: { name: 'Fuzzed' },
        fields: ['name', 'uid', 'metadata', 'rateLimit', 'throttleRate'],
      },
      {
        method: 'POST',
        path: '/api/v1/app/target/endpoint',
        valid: { url: 'https://example.com/hook' },
        fields: [
          'url',
          'description',
          'uid',
          'filterTypes',
          'eventTypes',
          'channels',
          'metadata',
          'headers',
          'secret',
          'rateLimit',
          'throttleRate',
          'disabled',
          'version',
        ],
      },
      {
        method: 'POST',
        path: '/api/v1/app/target/msg',
        valid: { eventType: EVENT_TYPE, payload: { ok: true } },
        fields: [
          'eventType',
          'eventId',
          'payload',
          'channels',
          'tags',
          'application',
          'payloadRetentionPeriod',
          'payloadRetentionHours',
          'deliverAt',
        ],
      },
    ];
    const lists: Target[] = [
      {
        method: 'GET',
        path: '/api/v1/app',
        valid: {},
        fields: [
          'limit',
          'iterator',
          'order',
          'exclude_apps_with_no_endpoints',
          'exclude_apps_with_disabled_endpoints',
        ],
      },
      {
        method: 'GET',
        path: '/api/v1/app/target/endpoint',
        valid: {},
        fields: ['limit', 'iterator', 'order'],
      },
      {
        method: 'GET',
        path: '/api/v1/app/target/msg',
        valid: {},
        fields: ['limit', 'iterator', 'channel', 'before', 'after', 'with_content', 'tag', 'event_types'],
      },
    ];

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      await herald.api('POST', '/api/v1/event-type', { name: EVENT_TYPE, description: 'fuzzing' });
      for (const uid of ['victim', 'target']) {
        const app = await herald.api('POST', '/api/v1/app', { name: uid, uid, metadata: { keep: 'me' } });
        await herald.api('POST', `/api/v1/app/${app.body.id}/endpoint`, {
          url: 'https://example.com/victim',
          filterTypes: [EVENT_TYPE],
          headers: { 'X-Keep': 'me' },
        });
        await herald.api('POST', `/api/v1/app/${app.body.id}/msg`, {
          eventType: EVENT_TYPE,
          payload: { keep: 'me' },
        });
      }
    });
    afterAll(async () => {
      await herald?.stop();
    });

    for (const target of creates) {
      it(`answers 2xx or a Svix 4xx to any hostile value in any field of ${target.method} ${target.path}`, async () => {
        await harmless(() =>
          check(
            fc.asyncProperty(
              fc.constantFrom(...target.fields, 'unknownField'),
              hostileValue,
              async (field, value) => {
                const body = toJsonText({ ...target.valid, [field]: value });
                assertWellFormed(
                  await send(target.method, target.path, body),
                  `${field}=${body.slice(0, 120)}`,
                );
              },
            ),
          ),
        );
      });

      it(`answers 2xx or a Svix 4xx to a hostile body of any shape on ${target.method} ${target.path}`, async () => {
        await harmless(() =>
          check(
            fc.asyncProperty(fc.oneof(hostileValue, fc.jsonValue(), protoPollution), async (value) => {
              const body = toJsonText(value);
              assertWellFormed(await send(target.method, target.path, body), `body ${body.slice(0, 120)}`);
            }),
          ),
        );
      });
    }

    for (const target of lists) {
      it(`answers 2xx or a Svix 4xx to hostile query parameters of GET ${target.path}`, async () => {
        await harmless(() =>
          check(
            fc.asyncProperty(
              fc.array(fc.tuple(fc.constantFrom(...target.fields, 'unknown'), hostileUrlString), {
                minLength: 1,
                maxLength: 4,
              }),
              async (pairs) => {
                const query = new URLSearchParams(pairs).toString();
                assertWellFormed(await send('GET', `${target.path}?${query}`), `?${query.slice(0, 160)}`);
              },
            ),
          ),
        );
      });
    }

    it('answers a Svix 4xx to hostile application, endpoint and message ids in the path', async () => {
      const paths = [
        '/api/v1/app/{}',
        '/api/v1/app/{}/endpoint',
        '/api/v1/app/target/endpoint/{}',
        '/api/v1/app/target/msg/{}',
      ];
      await harmless(() =>
        check(
          fc.asyncProperty(
            fc.constantFrom(...paths),
            fc.oneof(hostileUrlString, pathTraversal),
            async (path, id) => {
              // Buffer's UTF-8 round trip turns lone surrogates into U+FFFD, which encodeURIComponent accepts.
              const segment = encodeURIComponent(Buffer.from(id, 'utf8').toString('utf8'));
              // An empty or dot segment ('', '.', '..', '%2E'…) names no id: the URL resolves to a
              // collection or its parent (`/api/v1/app/`), which answers as that, as in Svix.
              if (/^((\.|%2e){1,2})?$/i.test(segment)) return;
              const answer = await send('GET', path.replace('{}', segment));
              assertWellFormed(answer, `${path} with ${segment.slice(0, 120)}`);
              expect(answer.status).toBeGreaterThanOrEqual(400);
            },
          ),
        ),
      );
    });

    // The inputs the properties above once found to break something, kept as fixed cases so the
    // regression is caught on every run, whatever seed the properties draw.
    it('answers a Svix 4xx, never a 500, to a NUL character in a stored string', async () => {
      await harmless(async () => {
        assertWellFormed(
          await send('POST', '/api/v1/app', JSON.stringify({ name: 'nul\u0000name' })),
          'app name',
        );
        const endpoint = JSON.stringify({ url: 'https://example.com/nul', description: 'nul\u0000' });
        assertWellFormed(await send('POST', '/api/v1/app/target/endpoint', endpoint), 'endpoint description');
        assertWellFormed(await send('GET', '/api/v1/app?iterator=%00'), 'iterator');
      });
    });

    it('answers a Svix 4xx, never a 500, to a message payload nested 10,000 levels deep', async () => {
      await harmless(async () => {
        const deep = toJsonText({ eventType: EVENT_TYPE, payload: { a: deepJson(10_000) } });
        assertWellFormed(await send('POST', '/api/v1/app/target/msg', deep), 'payload 10,000 deep');
        // A payload the API accepted must not break the list it then appears in.
        const nearLimit = toJsonText({ eventType: EVENT_TYPE, payload: { a: deepJson(3_900) } });
        assertWellFormed(await send('POST', '/api/v1/app/target/msg', nearLimit), 'payload 3,900 deep');
        assertWellFormed(
          await send('GET', '/api/v1/app/target/msg?with_content=true'),
          'list after a deep payload',
        );
      });
    });

    it('answers a Svix 4xx, never a 500, to an endpoint filtering on 40,000 event types', async () => {
      await harmless(async () => {
        const names = Array.from({ length: 40_000 }, (_, i) => `type.${i}`);
        const body = JSON.stringify({ url: 'https://example.com/many', filterTypes: names });
        assertWellFormed(await send('POST', '/api/v1/app/target/endpoint', body), '40,000 filterTypes');
      });
    });

    it('serves an application by a uid of the longest length the API accepts (256)', async () => {
      const uid = 'u'.repeat(256);
      expect((await send('POST', '/api/v1/app', JSON.stringify({ name: 'long uid', uid }))).status).toBe(201);
      const answer = await send('GET', `/api/v1/app/${uid}`);
      expect(answer.status, answer.text.slice(0, 200)).toBe(200);
    });

    it('answers 413 to a body over HERALD_MAX_PAYLOAD_BYTES', async () => {
      const payload = 'x'.repeat(herald.ctx.config.maxPayloadBytes + 1);
      const answer = await send(
        'POST',
        '/api/v1/app/target/msg',
        JSON.stringify({ eventType: EVENT_TYPE, payload: { payload } }),
      );
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.text).code).toBe('payload_too_large');
    });

    it('answers 400 to a body that is not JSON', async () => {
      for (const body of ['{"name": ', "{'name': 'x'}", 'name=x', '\u0000', '{"name":"x"}garbage']) {
        const answer = await send('POST', '/api/v1/app', body);
        expect(answer.status, body).toBe(400);
        expect(isSvixErrorBody(400, JSON.parse(answer.text))).toBe(true);
      }
    });

    it('answers 415 to a body that is not declared as JSON', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
      ]) {
        const answer = await send('POST', '/api/v1/app', '{"name":"x"}', type);
        expect(answer.status, type).toBe(415);
        expect(JSON.parse(answer.text).code).toBe('unsupported_media_type');
      }
    });
  });
}
