import { Type } from '@sinclair/typebox';
import { DateTime, EVENT_TYPE_PATTERN, EventTypeName, ListResponse, Nullable } from '../common/schemas.js';

/** Group names and feature flags follow the event type name rule. */
const NameLike = Type.String({ maxLength: 256, pattern: EVENT_TYPE_PATTERN });

const Schemas = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'JSON Schema (draft 2020-12, or draft-07 when `$schema` says so) per version ("1", "2", …). ' +
    'Messages are validated against the highest version.',
});

const SchemaModeField = Type.Union([Type.Literal('enforce'), Type.Literal('warn'), Type.Literal('off')], {
  description:
    'Herald extension. What a payload that does not match the latest schema gets: `enforce` (422), ' +
    '`warn` (accepted, logged, counted) or `off`. `null` follows `HERALD_SCHEMA_MODE`.',
});

const FeatureFlags = Type.Array(NameLike, { minItems: 1, uniqueItems: true });

/** The fields every body may set (EventTypeUpsertIn), in both SDK spellings of the feature flag. */
const writableFields = {
  description: Type.String({ maxLength: 65_536 }),
  archived: Type.Optional(Type.Boolean({ default: false })),
  deprecated: Type.Optional(Type.Boolean({ default: false })),
  schemas: Type.Optional(Nullable(Schemas)),
  groupName: Type.Optional(Nullable(NameLike)),
  featureFlag: Type.Optional(Nullable(NameLike)),
  featureFlags: Type.Optional(Nullable(FeatureFlags)),
  schemaMode: Type.Optional(Nullable(SchemaModeField)),
};

export const EventTypeIn = Type.Object({ name: EventTypeName, ...writableFields }, { $id: 'EventTypeIn' });

export const EventTypeUpsertIn = Type.Object(writableFields, { $id: 'EventTypeUpsertIn' });

export const EventTypePatch = Type.Object(
  {
    description: Type.Optional(writableFields.description),
    archived: Type.Optional(Type.Boolean()),
    deprecated: Type.Optional(Type.Boolean()),
    schemas: writableFields.schemas,
    groupName: writableFields.groupName,
    featureFlag: writableFields.featureFlag,
    featureFlags: writableFields.featureFlags,
    schemaMode: writableFields.schemaMode,
  },
  { $id: 'EventTypePatch' },
);

export const EventTypeOut = Type.Object(
  {
    name: EventTypeName,
    description: Type.String(),
    archived: Type.Boolean(),
    deprecated: Type.Boolean(),
    schemas: Nullable(Schemas),
    featureFlag: Nullable(NameLike),
    featureFlags: Nullable(Type.Array(NameLike)),
    groupName: Nullable(NameLike),
    schemaMode: Nullable(SchemaModeField),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'EventTypeOut' },
);

const ListResponseEventTypeOut = ListResponse(Type.Ref('EventTypeOut'), 'ListResponse_EventTypeOut_');

/**
 * Svix's export answers with a background task to poll; Herald builds the document at once, so
 * the task is already `finished` and (a Herald extension) carries its `data` here too, as
 * `BackgroundTaskOut` would.
 */
export const ExportEventTypeOut = Type.Object(
  {
    id: Type.String({ description: "The background task's ID." }),
    status: Type.Literal('finished'),
    task: Type.Literal('sdk.generate'),
    updatedAt: DateTime,
    data: Type.Object(
      {
        url: Type.String({ description: 'Where the current document can be fetched again.' }),
        document: Type.Record(Type.String(), Type.Unknown(), {
          description: 'The OpenAPI 3.1 document with a `webhooks` section.',
        }),
      },
      { description: 'Herald extension: the document itself.' },
    ),
  },
  { $id: 'ExportEventTypeOut' },
);

/** Which example of the event type to send (`v1.endpoint.send-example`). */
export const EventExampleIn = Type.Object(
  {
    eventType: EventTypeName,
    exampleIndex: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 0,
        description:
          "Which entry of the latest schema's `examples` to send; ignored when the schema has no `examples` list.",
      }),
    ),
  },
  { $id: 'EventExampleIn' },
);

export const EVENT_TYPE_SCHEMAS = [
  EventTypeIn,
  EventTypeUpsertIn,
  EventTypePatch,
  EventTypeOut,
  ListResponseEventTypeOut,
  ExportEventTypeOut,
];
