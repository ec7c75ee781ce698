import { readFileSync } from 'node:fs';
import { EndpointCreatedEventSerializer } from 'svix1/dist/models/endpointCreatedEvent.js';
import { EndpointDeletedEventSerializer } from 'svix1/dist/models/endpointDeletedEvent.js';
import { EndpointDisabledEventSerializer } from 'svix1/dist/models/endpointDisabledEvent.js';
import { EndpointUpdatedEventSerializer } from 'svix1/dist/models/endpointUpdatedEvent.js';
import { MessageAttemptExhaustedEventSerializer } from 'svix1/dist/models/messageAttemptExhaustedEvent.js';
import { MessageAttemptFailingEventSerializer } from 'svix1/dist/models/messageAttemptFailingEvent.js';
import { MessageAttemptRecoveredEventSerializer } from 'svix1/dist/models/messageAttemptRecoveredEvent.js';
import { describe, expect, it } from 'vitest';
import { parseCatalogFile } from '../../domains/event-type/catalog-file.js';
import { PayloadValidators } from '../../domains/event-type/schema-validation.js';
import { recordOfEntry } from '../../domains/event-type/test-fixtures.js';
import { OPERATIONAL_EVENT_TYPES, type OperationalEventType, operationalEvent } from './events.js';

const endpoint = { appId: 'app_2hFk3bW9yXq6TfD1mV8pLr4sNz', endpointId: 'ep_2hFk4Cq1zYr7UgE2nW9qMs5tPa' };
const attempt = {
  ...endpoint,
  appUid: 'acme-robotics',
  msgId: 'msg_2hFm8Rt3xWq5YcK1pB7nLs9vDe',
  msgEventId: 'evt_1Xn6Fb9Wk2Tq4Ps',
  lastAttempt: {
    id: 'atmpt_2hFnA4Lq8Zr2VbT6mX1cKw3yPf',
    timestamp: new Date('2024-06-10T10:44:51.847Z'),
    responseStatusCode: 503,
  },
};

/** One payload of every operational event type, built by the builders; Herald's own have no Svix model. */
const SAMPLES: Record<
  OperationalEventType,
  { payload: unknown; svix?: { _fromJsonObject(o: unknown): unknown; _toJsonObject(o: never): unknown } }
> = {
  'endpoint.created': {
    payload: operationalEvent.endpointCreated(endpoint),
    svix: EndpointCreatedEventSerializer,
  },
  'endpoint.updated': {
    payload: operationalEvent.endpointUpdated({ ...endpoint, endpointUid: 'primary' }),
    svix: EndpointUpdatedEventSerializer,
  },
  'endpoint.deleted': {
    payload: operationalEvent.endpointDeleted(endpoint),
    svix: EndpointDeletedEventSerializer,
  },
  'endpoint.disabled': {
    payload: operationalEvent.endpointDisabled({
      ...endpoint,
      failSince: new Date('2024-06-10T08:14:51.203Z'),
      trigger: 'automatic',
    }),
    svix: EndpointDisabledEventSerializer,
  },
  'message.attempt.failing': {
    payload: operationalEvent.messageAttemptFailing(attempt),
    svix: MessageAttemptFailingEventSerializer,
  },
  'message.attempt.exhausted': {
    payload: operationalEvent.messageAttemptExhausted({
      ...attempt,
      lastAttempt: { ...attempt.lastAttempt, responseStatusCode: 0 },
    }),
    svix: MessageAttemptExhaustedEventSerializer,
  },
  'message.attempt.recovered': {
    payload: operationalEvent.messageAttemptRecovered(attempt),
    svix: MessageAttemptRecoveredEventSerializer,
  },
  'endpoint.ordering_key.blocked': {
    payload: operationalEvent.orderingKeyBlocked({ ...attempt, orderingKey: 'sub_1042' }),
  },
  'endpoint.ordering_key.skipped': {
    payload: operationalEvent.orderingKeySkipped({ ...attempt, orderingKey: '' }),
  },
};

describe('operationalEvent builders', () => {
  it('build endpoint.disabled exactly as Svix sends it', () => {
    expect(
      operationalEvent.endpointDisabled({
        ...endpoint,
        failSince: new Date('2024-06-10T08:14:51.203Z'),
        trigger: 'automatic',
      }),
    ).toEqual({
      type: 'endpoint.disabled',
      data: {
        appId: 'app_2hFk3bW9yXq6TfD1mV8pLr4sNz',
        appUid: null,
        endpointId: 'ep_2hFk4Cq1zYr7UgE2nW9qMs5tPa',
        endpointUid: null,
        failSince: '2024-06-10T08:14:51.203Z',
        trigger: 'automatic',
      },
    });
  });

  it('send a manual disable with a null failSince', () => {
    const event = operationalEvent.endpointDisabled({ ...endpoint, failSince: null, trigger: 'manual' });
    expect(event.data).toMatchObject({ failSince: null, trigger: 'manual' });
  });

  it('build message.attempt.* with the last attempt and absent ids as null', () => {
    expect(
      operationalEvent.messageAttemptExhausted({
        ...endpoint,
        msgId: 'msg_1',
        lastAttempt: { id: 'atmpt_1', timestamp: '2024-06-11T13:40:05.112Z', responseStatusCode: 0 },
      }),
    ).toEqual({
      type: 'message.attempt.exhausted',
      data: {
        appId: endpoint.appId,
        appUid: null,
        msgId: 'msg_1',
        msgEventId: null,
        endpointId: endpoint.endpointId,
        lastAttempt: { id: 'atmpt_1', timestamp: '2024-06-11T13:40:05.112Z', responseStatusCode: 0 },
      },
    });
  });

  it('cover every operational event type and nothing else', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...OPERATIONAL_EVENT_TYPES].sort());
  });

  for (const [type, { payload, svix }] of Object.entries(SAMPLES)) {
    if (!svix) continue;
    it(`${type}: the official Svix SDK model reads the payload and writes back the same JSON`, () => {
      expect((payload as { type: string }).type).toBe(type);
      const json = JSON.parse(JSON.stringify(payload));
      const roundTrip = JSON.parse(JSON.stringify(svix._toJsonObject(svix._fromJsonObject(json) as never)));
      expect(roundTrip).toEqual(json);
    });
  }
});

describe('operational.yaml', () => {
  const parsed = parseCatalogFile(
    readFileSync(new URL('../../../examples/catalog/operational.yaml', import.meta.url), 'utf8'),
    'yaml',
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));

  it('lists exactly the operational event types', () => {
    expect(parsed.eventTypes.map((e) => e.name)).toEqual([...OPERATIONAL_EVENT_TYPES]);
  });

  it('has a schema that every builder payload satisfies', () => {
    const validators = new PayloadValidators();
    for (const entry of parsed.eventTypes) {
      const record = recordOfEntry(entry);
      const { payload } = SAMPLES[entry.name as OperationalEventType];
      expect(validators.validate(record, payload), entry.name).toEqual([]);
      expect(
        validators.validate(record, { ...(payload as object), type: 'something.else' }),
        entry.name,
      ).not.toEqual([]);
    }
  });
});
