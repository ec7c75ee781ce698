import { Type } from '@sinclair/typebox';
import { STATUS_TEXT } from '../../store/schema.js';
import { DateTime, ListResponse, Nullable, Uid } from '../common/schemas.js';
import { MessageOut } from '../message/schemas.js';

/** Svix's MessageStatus: 0 success, 1 pending, 2 fail, 3 sending, 4 canceled. */
const MessageStatus = Type.Integer({
  minimum: 0,
  maximum: 4,
  description: 'Success (0), Pending (1), Fail (2), Sending (3) or Canceled (4)',
});
const MessageStatusText = Type.Union(STATUS_TEXT.map((text) => Type.Literal(text)));
const NextAttempt = Nullable(DateTime);
const HeaderMap = Nullable(Type.Record(Type.String(), Type.String()));

export const MessageAttemptOut = Type.Object(
  {
    id: Type.String({ description: "The MessageAttempt's ID." }),
    msgId: Type.String({ description: "The Message's ID." }),
    endpointId: Type.String({ description: "The Endpoint's ID." }),
    url: Type.String(),
    response: Type.String({ description: 'The response body, as stored (capped); `{}` without content.' }),
    responseStatusCode: Type.Integer({ description: 'The HTTP status; 0 when no response came.' }),
    responseDurationMs: Type.Integer({ description: 'Response duration in milliseconds.' }),
    status: MessageStatus,
    statusText: MessageStatusText,
    triggerType: Type.Integer({ minimum: 0, maximum: 1, description: 'Scheduled (0) or Manual (1)' }),
    timestamp: DateTime,
    msg: Type.Optional(Nullable(Type.Ref('MessageOut'))),
    errorClass: Type.Optional(
      Nullable(
        Type.String({
          description: 'Herald: why the attempt failed (dns, connect, tls, timeout, http_5xx, …).',
        }),
      ),
    ),
    errorMessage: Type.Optional(Nullable(Type.String({ description: 'Herald: the failure, in words.' }))),
    responseHeaders: Type.Optional(HeaderMap),
    requestHeaders: Type.Optional(HeaderMap),
    batchMsgIds: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'Herald: the messages one request carried, in order, when a FIFO endpoint batches (fifoBatchSize > 1); ' +
          'each has this attempt in its history.',
      }),
    ),
  },
  { $id: 'MessageAttemptOut' },
);

/** A message as one endpoint sees it: the message plus that endpoint's delivery state. */
export const EndpointMessageOut = Type.Object(
  {
    ...MessageOut.properties,
    status: MessageStatus,
    statusText: MessageStatusText,
    nextAttempt: Type.Optional(NextAttempt),
  },
  { $id: 'EndpointMessageOut' },
);

/** An endpoint a message was sent to, with that delivery's state. */
export const MessageEndpointOut = Type.Object(
  {
    id: Type.String({ description: "The Endpoint's ID." }),
    uid: Type.Optional(Nullable(Uid)),
    url: Type.String(),
    description: Type.String(),
    disabled: Type.Optional(Type.Boolean()),
    eventTypes: Type.Optional(Nullable(Type.Array(Type.String()))),
    filterTypes: Type.Optional(Nullable(Type.Array(Type.String()))),
    channels: Type.Optional(Nullable(Type.Array(Type.String()))),
    throttleRate: Type.Optional(Nullable(Type.Integer())),
    rateLimit: Type.Optional(Nullable(Type.Integer())),
    metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
    version: Type.Optional(Type.Integer()),
    disabledReason: Type.Optional(Nullable(Type.String())),
    createdAt: DateTime,
    updatedAt: DateTime,
    status: MessageStatus,
    statusText: MessageStatusText,
    nextAttempt: Type.Optional(NextAttempt),
  },
  { $id: 'MessageEndpointOut' },
);

export const ATTEMPT_SCHEMAS = [
  MessageAttemptOut,
  EndpointMessageOut,
  MessageEndpointOut,
  ListResponse(Type.Ref('MessageAttemptOut'), 'ListResponse_MessageAttemptOut_'),
  ListResponse(Type.Ref('EndpointMessageOut'), 'ListResponse_EndpointMessageOut_'),
  ListResponse(Type.Ref('MessageEndpointOut'), 'ListResponse_MessageEndpointOut_'),
];
