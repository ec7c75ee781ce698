import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Backend } from '../../support/backends.js';
import {
  eventually,
  startTestHerald,
  TEST_ADMIN_TOKEN,
  type TestHerald,
  type TestHeraldOptions,
} from '../../support/herald.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../../support/receiver.js';
import { type ApiAnswer, callApi } from '../api-client.js';

/**
 * What every file of the Svix server conformance suite shares: a real Herald on `backend` (API
 * on a socket, worker, task runner) whose every JSON answer is checked against Svix's published
 * OpenAPI document (a test fails on any answer that does not conform), a receiver, and the
 * plain HTTP calls Svix's tests make, spelled with their trailing slashes (`api/v1/app/`) as
 * Svix's test client sends them.
 */
export interface SvixServer {
  herald: TestHerald;
  receiver: Receiver;
  /** Calls the API with the admin token. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  /** Calls the API with `token` (null: none). */
  as(token: string | null): SvixServer['api'];
  /** Svix's `create_test_app`: an application named `name`. */
  createApp(name?: string, extra?: Record<string, unknown>): Promise<AppOut>;
  /** Svix's `create_test_endpoint`: an endpoint of `appId` at `url` (version 1, like Svix's test endpoint). */
  createEndpoint(appId: string, url: string, extra?: Record<string, unknown>): Promise<EndpointOut>;
  /** Svix's `create_test_message` (event type `event.type`) or `create_test_msg_with`. */
  createMessage(
    appId: string,
    payload: Record<string, unknown>,
    eventType?: string,
    channels?: string[],
  ): Promise<MessageOut>;
  /** Svix's `get_msg_attempt_list_and_assert_count`: waits until the message has `count` attempts. */
  attemptsOf(appId: string, msgId: string, count: number): Promise<AttemptOut[]>;
  /** Waits for `count` requests to the receiver's `path` (others' retries ignored). */
  requestsTo(path: string, count?: number): Promise<ReceivedRequest[]>;
  /** A consumer-portal token of `appId`, as Svix's `app_portal_access` makes one. */
  portalToken(appId: string): Promise<string>;
}

// biome-ignore lint/suspicious/noExplicitAny: Svix's answers are read field by field
export type AppOut = { id: string; uid: string | null; [field: string]: any };
// biome-ignore lint/suspicious/noExplicitAny: Svix's answers are read field by field
export type MessageOut = { id: string; [field: string]: any };
// biome-ignore lint/suspicious/noExplicitAny: Svix's answers are read field by field
export type EndpointOut = { id: string; [field: string]: any };
// biome-ignore lint/suspicious/noExplicitAny: Svix's answers are read field by field
export type AttemptOut = { id: string; [field: string]: any };

/** Starts the suite's Herald and receiver for the enclosing `describe`, and checks every answer. */
export function svixServer(backend: Backend, options: TestHeraldOptions = {}): SvixServer {
  const server = {} as SvixServer;
  beforeAll(async () => {
    server.herald = await startTestHerald(backend, { ...options, checkSvixSchemas: true });
    server.receiver = await startReceiver();
  });
  afterAll(async () => {
    await server.herald?.stop();
    await server.receiver?.close();
  });
  // Every answer of the case just run satisfied Svix's OpenAPI document (or an exception it records).
  afterEach(() => {
    const violations = server.herald.svixViolations.splice(0);
    expect(violations).toEqual([]);
  });

  const as =
    (token: string | null): SvixServer['api'] =>
    (method, path, body, headers) =>
      callApi(server.herald.url, token, method, path, body, headers);
  server.as = as;
  server.api = as(TEST_ADMIN_TOKEN);
  server.createApp = async (name = 'app', extra = {}) => {
    const res = await server.api('POST', '/api/v1/app/', { name, ...extra });
    expect(res.status).toBe(201);
    return res.body;
  };
  server.createEndpoint = async (appId, url, extra = {}) => {
    const res = await server.api('POST', `/api/v1/app/${appId}/endpoint/`, { url, version: 1, ...extra });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  server.createMessage = async (appId, payload, eventType = 'event.type', channels) => {
    const res = await server.api('POST', `/api/v1/app/${appId}/msg/`, {
      eventType,
      payload,
      payloadRetentionPeriod: 5,
      ...(channels ? { channels } : {}),
    });
    expect(res.status, res.text).toBe(202);
    return res.body;
  };
  server.attemptsOf = (appId, msgId, count) =>
    eventually(async () => {
      const res = await server.api('GET', `/api/v1/app/${appId}/attempt/msg/${msgId}/`);
      return res.status === 200 && res.body.data.length === count ? (res.body.data as AttemptOut[]) : null;
    }, 5_000);
  server.requestsTo = (path, count = 1) =>
    eventually(() => {
      const seen = server.receiver.requests.filter((r) => r.path === path);
      return seen.length >= count && seen;
    }, 5_000);
  server.portalToken = async (appId) => {
    const res = await server.api('POST', `/api/v1/auth/app-portal-access/${appId}/`, { featureFlags: [] });
    expect(res.status, res.text).toBe(200);
    return res.body.token as string;
  };
  return server;
}

/**
 * A message as Svix's MessageOut shows it: Herald adds its delivery summary (`deliveryStatus`,
 * `deliveries`) to messages it reads back, which a create answer does not carry.
 */
export function svixMessage(message: Record<string, unknown>): Record<string, unknown> {
  const { deliveryStatus: _status, deliveries: _deliveries, ...svix } = message;
  return svix;
}
