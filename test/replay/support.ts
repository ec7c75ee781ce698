import { expect } from 'vitest';
import { eventually, type TestHerald } from '../support/herald.js';
import type { ReceivedRequest } from '../support/receiver.js';

/** Creates an application and returns its id. */
export async function createApp(herald: TestHerald, name = 'Acme'): Promise<string> {
  const res = await herald.api('POST', '/api/v1/app', { name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Creates an endpoint and returns its id. */
export async function createEndpoint(herald: TestHerald, appId: string, body: object): Promise<string> {
  const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint`, body);
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Creates event types so endpoints may filter on them. */
export async function createEventTypes(herald: TestHerald, names: string[]): Promise<void> {
  for (const name of names) {
    const res = await herald.api('POST', '/api/v1/event-type', { name, description: name });
    expect([201, 409]).toContain(res.status);
  }
}

/** Publishes a message and returns its id. */
export async function publish(
  herald: TestHerald,
  appId: string,
  eventType: string,
  payload: object = {},
  extra: object = {},
): Promise<string> {
  const res = await herald.api('POST', `/api/v1/app/${appId}/msg`, { eventType, payload, ...extra });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

/** Publishes `count` messages, `concurrency` at a time; returns their ids sorted (oldest first). */
export async function publishMany(
  herald: TestHerald,
  appId: string,
  count: number,
  eventType = 'invoice.paid',
  concurrency = 8,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        ids.push(await publish(herald, appId, eventType, { n }));
      }
    }),
  );
  return ids.sort();
}

/** Waits until a background task is no longer running and returns it. */
export async function waitForTask(herald: TestHerald, taskId: string, timeoutMs = 20_000) {
  return eventually(async () => {
    const res = await herald.api('GET', `/api/v1/background-task/${taskId}`);
    expect(res.status).toBe(200);
    return res.body.status !== 'running' ? res.body : null;
  }, timeoutMs);
}

/** The `webhook-id` (message id) of each request. */
export function messageIds(requests: ReceivedRequest[]): string[] {
  return requests.map((r) => r.headers['webhook-id']!);
}

/** The endpoint's attempts, newest first, as the API lists them. */
export async function endpointAttempts(herald: TestHerald, appId: string, endpointId: string) {
  const all = [];
  let iterator: string | null = null;
  for (;;) {
    const query: string = iterator ? `?limit=250&iterator=${iterator}` : '?limit=250';
    const res = await herald.api('GET', `/api/v1/app/${appId}/attempt/endpoint/${endpointId}${query}`);
    expect(res.status).toBe(200);
    all.push(...res.body.data);
    if (res.body.done) return all;
    iterator = res.body.iterator;
  }
}

/** The endpoint's message statuses (0 success, 2 fail…), by message id. */
export async function endpointMessageStatuses(
  herald: TestHerald,
  appId: string,
  endpointId: string,
): Promise<Map<string, number>> {
  const res = await herald.api('GET', `/api/v1/app/${appId}/endpoint/${endpointId}/msg?limit=250`);
  expect(res.status).toBe(200);
  return new Map(res.body.data.map((m: { id: string; status: number }) => [m.id, m.status]));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
