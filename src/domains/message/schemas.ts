import { Type } from '@sinclair/typebox';
import {
  CHANNEL_PATTERN,
  Channels,
  DateTime,
  EventTypeName,
  idIteratorPattern,
  ListResponse,
  Nullable,
  TAG_PATTERN,
  Uid,
} from '../common/schemas.js';
import { DELIVERY_STATES } from './delivery-status.js';

export const Tags = Type.Array(Type.String({ maxLength: 128, pattern: TAG_PATTERN }), {
  maxItems: 5,
  uniqueItems: true,
});

/**
 * Herald: the key whose messages a FIFO endpoint delivers one at a time, in publish order. Absent
 * = the endpoint's single default key; an endpoint with `ordering: "none"` ignores it.
 */
export const OrderingKey = Type.String({
  minLength: 1,
  maxLength: 256,
  description:
    'Herald: messages with the same key are delivered one at a time, in publish order, to endpoints with ' +
    '`ordering: "fifo"`; different keys proceed in parallel. Absent: the endpoint\'s default key.',
});

export const MessageIn = Type.Object(
  {
    eventId: Type.Optional(Nullable(Uid)),
    eventType: EventTypeName,
    payload: Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON payload to send as the request body of the webhook.',
    }),
    channels: Type.Optional(Nullable(Channels)),
    application: Type.Optional(Nullable(Type.Ref('ApplicationIn'))),
    tags: Type.Optional(Nullable(Tags)),
    transformationsParams: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    deliverAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
    payloadRetentionPeriod: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 90, default: 90 }))),
    payloadRetentionHours: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2160 }))),
    orderingKey: Type.Optional(Nullable(OrderingKey)),
  },
  {
    $id: 'MessageIn',
    examples: [
      {
        eventType: 'invoice.paid',
        eventId: 'in_1001-paid',
        payload: { invoiceId: 'in_1001', amount: 4200, currency: 'usd' },
        tags: ['vip'],
      },
    ],
  },
);

export const MessageOut = Type.Object(
  {
    id: Type.String({ description: "The Message's ID." }),
    eventId: Type.Optional(Nullable(Uid)),
    eventType: EventTypeName,
    payload: Type.Record(Type.String(), Type.Unknown()),
    channels: Type.Optional(Nullable(Channels)),
    tags: Type.Optional(Nullable(Tags)),
    timestamp: DateTime,
    deliverAt: Type.Optional(Nullable(DateTime)),
    deliveryStatus: Type.Optional(
      Nullable(
        Type.Union(
          DELIVERY_STATES.map((state) => Type.Literal(state)),
          {
            description:
              'Herald: the most urgent state among its deliveries: exhausted (one gave up after its last retry), ' +
              'failing (one failed and is being retried), pending (one not tried yet), succeeded (all succeeded). ' +
              'Null when no endpoint was subscribed. Listed messages and a fetched message carry it.',
          },
        ),
      ),
    ),
    deliveries: Type.Optional(
      Type.Object(
        {
          exhausted: Type.Integer(),
          failing: Type.Integer(),
          pending: Type.Integer(),
          succeeded: Type.Integer(),
        },
        { description: "Herald: how many of the message's deliveries (one per endpoint) are in each state." },
      ),
    ),
    orderingKey: Type.Optional(OrderingKey),
  },
  { $id: 'MessageOut' },
);

export const ListResponseMessageOut = ListResponse(Type.Ref('MessageOut'), 'ListResponse_MessageOut_');

export const MessageRawPayloadOut = Type.Object(
  { payload: Type.String({ description: 'The payload exactly as it is sent, a JSON document as text.' }) },
  { $id: 'MessageRawPayloadOut' },
);

/**
 * Query filters shared by the message and attempt lists, with Svix's names and rules.
 * Numbers come in as text: these are `integer` schemas so ajv coerces before the `enum`.
 */
export const MessageStatusQuery = Type.Unsafe<0 | 1 | 2 | 3 | 4>({
  type: 'integer',
  enum: [0, 1, 2, 3, 4],
  description:
    'Filter response based on the status of the attempt: Success (0), Pending (1), Failed (2), Sending (3), or Canceled (4)',
});
export const StatusCodeClassQuery = Type.Unsafe<0 | 100 | 200 | 300 | 400 | 500>({
  type: 'integer',
  enum: [0, 100, 200, 300, 400, 500],
  description: 'Filter response based on the HTTP status code class (0 is no response)',
});
export const ChannelQuery = Type.String({
  maxLength: 128,
  pattern: CHANNEL_PATTERN,
  description: 'Filter response based on the channel',
});
export const TagQuery = Type.String({
  maxLength: 128,
  pattern: TAG_PATTERN,
  description: 'Filter response based on the tag',
});
/** Svix's SDKs send `event_types=a&event_types=b`; one value arrives as a string and is coerced. */
export const EventTypesQuery = Type.Array(EventTypeName, {
  uniqueItems: true,
  description: 'Filter response based on the event type',
});
export const DeliveryStatusQuery = Type.Union(
  DELIVERY_STATES.map((state) => Type.Literal(state)),
  {
    description:
      'Herald: only messages with a delivery in this state (exhausted, failing, pending), or, for succeeded, ' +
      'messages whose deliveries all succeeded. Combines with every other filter and the iterator.',
  },
);
export const BeforeQuery = Type.String({
  format: 'date-time',
  description: 'Only include items created before a certain date',
});
export const AfterQuery = Type.String({
  format: 'date-time',
  description: 'Only include items created after a certain date',
});
export const WithContentQuery = Type.Boolean({
  default: true,
  description: 'When `true` payloads (or attempt response bodies) are included in the response',
});
export const ExpandedStatusesQuery = Type.Boolean({
  default: false,
  description: 'When `true`, return the Canceled (4) status; otherwise canceled reads as Success (0)',
});

/**
 * An iterator of one id kind, or the `prevIterator` form with a leading `-`. Cursors are
 * compared against ids, so anything else is refused with a 422 naming `iterator`.
 */
export const IteratorQuery = (prefix: 'msg' | 'atmpt' | 'ep') =>
  Type.String({
    pattern: idIteratorPattern(prefix),
    description: 'The iterator returned from a prior invocation',
  });

export const LimitQuery = Type.Integer({
  minimum: 1,
  maximum: 250,
  default: 50,
  description: 'Limit the number of returned items',
});
