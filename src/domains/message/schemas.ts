import { Type } from '@sinclair/typebox';
import {
  Channels,
  DateTime,
  EventTypeName,
  ListResponse,
  Nullable,
  TAG_PATTERN,
  Uid,
} from '../common/schemas.js';

export const Tags = Type.Array(Type.String({ maxLength: 128, pattern: TAG_PATTERN }), {
  maxItems: 5,
  uniqueItems: true,
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
  },
  { $id: 'MessageIn' },
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
  },
  { $id: 'MessageOut' },
);

export const ListResponseMessageOut = ListResponse(Type.Ref('MessageOut'), 'ListResponse_MessageOut_');
