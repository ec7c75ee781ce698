import { Type } from '@sinclair/typebox';
import { Channels, DateTime, ListResponse, Metadata, Nullable, Uid } from '../common/schemas.js';

/** Event type names, or a trailing wildcard (`invoice.*`): a Herald extension Svix SDKs pass through. */
const EventTypeFilter = Type.Array(Type.String({ maxLength: 256, pattern: '^[a-zA-Z0-9\\-_.]+\\*?$' }), {
  minItems: 1,
  maxItems: 1000,
  uniqueItems: true,
});
const Url = Type.String({ format: 'uri', minLength: 1, maxLength: 65536 });
const SECRET_PATTERN = '^(whsec_|whsk_|whsk1_|whpk_|whpk1_)?[a-zA-Z0-9+/=]{32,200}$';
const Headers = Type.Record(Type.String(), Type.String());
/** Checked by the filter language itself (`filter-language.ts`), which points at the bad part. */
export const PayloadFilter = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Herald: which messages the endpoint receives by their content, e.g. ' +
    '`{"data.currency": "eur", "data.amount": {"$gte": 10000}}`. Keys are payload paths in dot notation, ' +
    '`$eventType`, `$channels`, `$and`, `$or`, `$not`; operators `$eq $neq $gt $gte $lt $lte $in $nin ' +
    '$exists $startsWith $endsWith $contains`. Null or left out: every message.',
  examples: [{ 'data.currency': 'eur', 'data.amount': { $gte: 10000 } }],
});
const FilterWarning = Type.Object({
  loc: Type.Array(Type.String()),
  msg: Type.String(),
});

/** Herald's ordered delivery (README "Ordered delivery"): FIFO per ordering key, opt in. */
const Ordering = Type.Union([Type.Literal('fifo'), Type.Literal('none')], {
  description:
    'Herald: "fifo" delivers the messages of each `orderingKey` one at a time, in publish order ' +
    '(different keys in parallel); "none" (the default) delivers as they come.',
});
const FifoOnExhausted = Type.Union([Type.Literal('block'), Type.Literal('skip')], {
  description:
    'Herald: what a FIFO key does when its oldest message exhausts its retries: "block" (the default) ' +
    'holds the key until it is recovered or resent; "skip" moves on to the next message.',
});
const FifoBatchSize = Type.Integer({
  minimum: 1,
  maximum: 100,
  description:
    'Herald: up to this many consecutive messages of one key in one request (a JSON array); 1 (the default) ' +
    'sends one message per request.',
});
const orderingFields = {
  ordering: Type.Optional(Ordering),
  fifoOnExhausted: Type.Optional(FifoOnExhausted),
  fifoBatchSize: Type.Optional(FifoBatchSize),
};

/**
 * Svix's 1.x SDKs send the event filter as `filterTypes` and the rate as `rateLimit`; the
 * 2.x SDKs as `eventTypes` and `throttleRate`. Both spellings are accepted and answered.
 */
const endpointFields = {
  url: Url,
  description: Type.Optional(Type.String({ default: '', maxLength: 4096 })),
  uid: Type.Optional(Nullable(Uid)),
  disabled: Type.Optional(Type.Boolean({ default: false })),
  eventTypes: Type.Optional(Nullable(EventTypeFilter)),
  filterTypes: Type.Optional(Nullable(EventTypeFilter)),
  channels: Type.Optional(Nullable(Channels)),
  throttleRate: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
  rateLimit: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
  metadata: Type.Optional(Metadata),
  version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, deprecated: true })),
  filter: Type.Optional(Nullable(PayloadFilter)),
  ...orderingFields,
};

export const EndpointIn = Type.Object(
  {
    ...endpointFields,
    secret: Type.Optional(Nullable(Type.String({ pattern: SECRET_PATTERN }))),
    headers: Type.Optional(Nullable(Headers)),
  },
  { $id: 'EndpointIn' },
);

export const EndpointUpdate = Type.Object(endpointFields, { $id: 'EndpointUpdate' });

export const EndpointPatch = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    uid: Type.Optional(Nullable(Uid)),
    disabled: Type.Optional(Type.Boolean()),
    eventTypes: Type.Optional(Nullable(EventTypeFilter)),
    filterTypes: Type.Optional(Nullable(EventTypeFilter)),
    channels: Type.Optional(Nullable(Channels)),
    throttleRate: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 65535 }))),
    rateLimit: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 65535 }))),
    metadata: Type.Optional(Metadata),
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, deprecated: true })),
    secret: Type.Optional(Nullable(Type.String({ pattern: SECRET_PATTERN }))),
    filter: Type.Optional(Nullable(PayloadFilter)),
    ...orderingFields,
  },
  { $id: 'EndpointPatch' },
);

export const EndpointOut = Type.Object(
  {
    id: Type.String({ description: "The Endpoint's ID." }),
    uid: Nullable(Uid),
    url: Url,
    description: Type.String(),
    disabled: Type.Boolean(),
    eventTypes: Nullable(Type.Array(Type.String())),
    filterTypes: Nullable(Type.Array(Type.String())),
    channels: Nullable(Type.Array(Type.String())),
    throttleRate: Nullable(Type.Integer()),
    rateLimit: Nullable(Type.Integer()),
    metadata: Metadata,
    version: Type.Integer(),
    createdAt: DateTime,
    updatedAt: DateTime,
    disabledReason: Type.Optional(
      Nullable(Type.String({ description: 'Herald: why the endpoint was disabled.' })),
    ),
    filter: Type.Optional(Nullable(PayloadFilter)),
    filterWarnings: Type.Optional(
      Type.Array(FilterWarning, {
        description:
          'Herald, on create, and on an update that sets the filter or the event types: filter paths that no schema of the event types the endpoint ' +
          'receives declares (a typo, or a field not in the schema yet). The filter is saved all the same.',
      }),
    ),
    ordering: Type.Optional(Ordering),
    fifoOnExhausted: Type.Optional(FifoOnExhausted),
    fifoBatchSize: Type.Optional(FifoBatchSize),
  },
  { $id: 'EndpointOut' },
);

export const EndpointHeadersIn = Type.Object({ headers: Headers }, { $id: 'EndpointHeadersIn' });
export const EndpointHeadersPatchIn = Type.Object(
  {
    headers: Type.Record(Type.String(), Nullable(Type.String())),
    deleteHeaders: Type.Optional(Type.Array(Type.String(), { default: [] })),
  },
  { $id: 'EndpointHeadersPatchIn' },
);
export const EndpointHeadersOut = Type.Object(
  { headers: Headers, sensitive: Type.Array(Type.String(), { uniqueItems: true }) },
  { $id: 'EndpointHeadersOut' },
);
export const EndpointSecretOut = Type.Object({ key: Type.String() }, { $id: 'EndpointSecretOut' });
export const EndpointSecretRotateIn = Type.Object(
  {
    key: Type.Optional(Nullable(Type.String({ pattern: SECRET_PATTERN }))),
    gracePeriodSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 604800 }))),
  },
  { $id: 'EndpointSecretRotateIn' },
);

export const ListResponseEndpointOut = ListResponse(Type.Ref('EndpointOut'), 'ListResponse_EndpointOut_');

export const ENDPOINT_SCHEMAS = [
  EndpointIn,
  EndpointUpdate,
  EndpointPatch,
  EndpointOut,
  EndpointHeadersIn,
  EndpointHeadersPatchIn,
  EndpointHeadersOut,
  EndpointSecretOut,
  EndpointSecretRotateIn,
  ListResponseEndpointOut,
];
