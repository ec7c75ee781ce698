import {
  ApiException as ApiException1,
  type ApplicationIn,
  type ApplicationOut,
  type EndpointOut,
  type EventTypeOut,
  Svix as Svix1,
} from 'svix1';
import { ApiException as ApiException2, Svix as Svix2 } from 'svix2';
import { expect } from 'vitest';

/**
 * The two Svix SDK majors under one face. Operations both majors name the same way are called
 * through the 1.x types (the 2.x client has the same methods with the same arguments); the
 * operations 2.x renamed (`update` → `upsert`, `updateHeaders` → `setHeaders`) and the endpoint
 * fields it renamed (`filterTypes` → `eventTypes`, `rateLimit` → `throttleRate`) go through the
 * flavour, so each test runs unchanged against both.
 */
export type SvixClient = Svix1;

export interface SdkFlavour {
  name: 'svix@1' | 'svix@2';
  client(token: string, serverUrl: string): SvixClient;
  /** The ApiException class of this major: what its callers catch. */
  ApiException: typeof ApiException1 | typeof ApiException2;
  /** An endpoint's event-type filter and rate limit, spelled as this major sends them. */
  filterFields(eventTypes: string[] | null, rate?: number | null): Record<string, unknown>;
  /** The event-type filter of an endpoint this major read. */
  filterOf(endpoint: EndpointOut): string[] | null | undefined;
  rateOf(endpoint: EndpointOut): number | null | undefined;
  upsertApplication(client: SvixClient, appId: string, body: ApplicationIn): Promise<ApplicationOut>;
  upsertEndpoint(
    client: SvixClient,
    appId: string,
    endpointId: string,
    body: { url: string } & Record<string, unknown>,
  ): Promise<EndpointOut>;
  setHeaders(
    client: SvixClient,
    appId: string,
    endpointId: string,
    headers: Record<string, string>,
  ): Promise<void>;
  upsertEventType(
    client: SvixClient,
    name: string,
    body: { description: string } & Record<string, unknown>,
  ): Promise<EventTypeOut>;
}

// A client the 1.x SDK does not type: 2.x fields, or a 2.x client seen through the 1.x type.
// biome-ignore lint/suspicious/noExplicitAny: the two majors' models differ in field names only
type Loose = any;
const asV2 = (client: SvixClient) => client as unknown as Svix2;

export const FLAVOURS: SdkFlavour[] = [
  {
    name: 'svix@1',
    client: (token, serverUrl) => new Svix1(token, { serverUrl }),
    ApiException: ApiException1,
    filterFields: (eventTypes, rate) => ({
      filterTypes: eventTypes,
      ...(rate !== undefined ? { rateLimit: rate } : {}),
    }),
    filterOf: (endpoint) => endpoint.filterTypes,
    rateOf: (endpoint) => endpoint.rateLimit,
    upsertApplication: (client, appId, body) => client.application.update(appId, body),
    upsertEndpoint: (client, appId, endpointId, body) =>
      client.endpoint.update(appId, endpointId, body as Loose),
    setHeaders: (client, appId, endpointId, headers) =>
      client.endpoint.updateHeaders(appId, endpointId, { headers }),
    upsertEventType: (client, name, body) => client.eventType.update(name, body as Loose),
  },
  {
    name: 'svix@2',
    client: (token, serverUrl) => new Svix2(token, { serverUrl }) as unknown as SvixClient,
    ApiException: ApiException2,
    filterFields: (eventTypes, rate) => ({
      eventTypes,
      ...(rate !== undefined ? { throttleRate: rate } : {}),
    }),
    filterOf: (endpoint) => (endpoint as Loose).eventTypes,
    rateOf: (endpoint) => endpoint.throttleRate,
    upsertApplication: (client, appId, body) => asV2(client).application.upsert(appId, body),
    upsertEndpoint: (client, appId, endpointId, body) =>
      asV2(client).endpoint.upsert(appId, endpointId, body as Loose) as Promise<Loose>,
    setHeaders: (client, appId, endpointId, headers) =>
      asV2(client).endpoint.setHeaders(appId, endpointId, { headers }),
    upsertEventType: (client, name, body) =>
      asV2(client).eventType.upsert(name, body as Loose) as Promise<Loose>,
  },
];

/**
 * Awaits an SDK call that must fail, and checks it failed the way SDK users catch: this major's
 * ApiException carrying the HTTP status. Returns the error body for further checks.
 */
export async function expectApiError(
  flavour: SdkFlavour,
  call: Promise<unknown>,
  status: number,
): Promise<Loose> {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected the SDK to raise ApiException ${status}`).toBeInstanceOf(flavour.ApiException);
  const error = caught as { code: number; body: Loose };
  expect(error.code, JSON.stringify(error.body)).toBe(status);
  return error.body;
}

/** A unique suffix, so tests sharing one Herald never share names. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
