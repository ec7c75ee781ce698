import { type TSchema, Type } from '@sinclair/typebox';

/** Shapes shared by every domain's routes, named as in Svix's OpenAPI document. */

/**
 * `T | null`. Null comes first: with type coercion on (query strings need it), ajv would
 * otherwise coerce a JSON null into "" or 0 against the first branch.
 */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([Type.Null(), schema]);

const UID_PATTERN = '^[a-zA-Z0-9\\-_.]+$';
export const CHANNEL_PATTERN = '^[a-zA-Z0-9\\-_.:+]+$';
export const TAG_PATTERN = '^[a-zA-Z0-9\\-_./\\\\#]+$';
export const EVENT_TYPE_PATTERN = '^[a-zA-Z0-9\\-_.]+$';

export const Uid = Type.String({ minLength: 1, maxLength: 256, pattern: UID_PATTERN });
export const EventTypeName = Type.String({
  maxLength: 256,
  pattern: EVENT_TYPE_PATTERN,
  description: "The event type's name",
});
export const Channels = Type.Array(Type.String({ maxLength: 128, pattern: CHANNEL_PATTERN }), {
  minItems: 1,
  maxItems: 10,
  uniqueItems: true,
});
export const Metadata = Type.Record(Type.String(), Type.String());
export const DateTime = Type.String({ format: 'date-time' });

export const HttpErrorOut = Type.Object(
  { code: Type.String(), detail: Type.String() },
  { $id: 'HttpErrorOut' },
);
export const HTTPValidationError = Type.Object(
  {
    detail: Type.Array(
      Type.Object({ loc: Type.Array(Type.String()), msg: Type.String(), type: Type.String() }),
    ),
  },
  { $id: 'HTTPValidationError' },
);

/** The error responses every authenticated route may give, as Svix documents them. */
export const ERROR_RESPONSES = {
  400: Type.Ref('HttpErrorOut'),
  401: Type.Ref('HttpErrorOut'),
  403: Type.Ref('HttpErrorOut'),
  404: Type.Ref('HttpErrorOut'),
  409: Type.Ref('HttpErrorOut'),
  422: Type.Ref('HTTPValidationError'),
  429: Type.Ref('HttpErrorOut'),
};

export const ListResponse = <T extends TSchema>(item: T, id: string) =>
  Type.Object(
    {
      data: Type.Array(item),
      iterator: Nullable(Type.String()),
      prevIterator: Type.Optional(Nullable(Type.String())),
      done: Type.Boolean(),
    },
    { $id: id },
  );

export const Ordering = Type.Union([Type.Literal('ascending'), Type.Literal('descending')]);

/** The pattern of an iterator over ids of one kind: the id, or `-` and the id (a `prevIterator`). */
export const idIteratorPattern = (prefix: string) => `^-?${prefix}_[A-Za-z0-9]{27}$`;

/**
 * `limit` and `iterator`, the paging query of a list. The iterator must look like the list's
 * sort key (`iteratorPattern`): anything else is a 422 naming `iterator`, as in Svix.
 */
export const pageQuery = (iteratorPattern: string) => ({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 250, description: 'Limit the number of returned items' }),
  ),
  iterator: Type.Optional(
    Nullable(
      Type.String({
        maxLength: 300,
        pattern: iteratorPattern,
        description: 'The iterator returned from a prior invocation',
      }),
    ),
  ),
});

export const AppIdParam = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: UID_PATTERN,
  description: "The Application's ID or UID.",
});
export const EndpointIdParam = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: UID_PATTERN,
  description: "The Endpoint's ID or UID.",
});
export const MsgIdParam = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: UID_PATTERN,
  description: "The Message's ID or eventId.",
});

export const EmptyResponse = Type.Null();
