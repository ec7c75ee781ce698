import { Type } from '@sinclair/typebox';
import { DateTime, ListResponse, Metadata, Nullable, Uid } from '../common/schemas.js';

/** `rateLimit` is the deprecated spelling of `throttleRate` that Svix's 1.x SDKs use; both are read and answered. */
export const ApplicationIn = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Application name for human consumption.',
    }),
    uid: Type.Optional(Nullable(Uid)),
    throttleRate: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
    rateLimit: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535, deprecated: true }))),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'ApplicationIn' },
);

export const ApplicationPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    uid: Type.Optional(Nullable(Uid)),
    throttleRate: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 65535 }))),
    rateLimit: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 65535, deprecated: true }))),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'ApplicationPatch' },
);

export const ApplicationOut = Type.Object(
  {
    id: Type.String({ description: "The Application's ID." }),
    uid: Nullable(Uid),
    name: Type.String(),
    throttleRate: Nullable(Type.Integer()),
    rateLimit: Type.Optional(Nullable(Type.Integer({ deprecated: true }))),
    metadata: Metadata,
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'ApplicationOut' },
);

export const ListResponseApplicationOut = ListResponse(
  Type.Ref('ApplicationOut'),
  'ListResponse_ApplicationOut_',
);
