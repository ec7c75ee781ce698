/**
 * An event type as the store keeps it: one entry of the platform's event catalog
 * (Svix's `EventTypeOut` with real dates). The pure modules of this folder take it as
 * input so that they never depend on how it was loaded.
 */
export interface EventTypeRecord {
  /** Unique name such as `invoice.paid` (`^[a-zA-Z0-9\-_.]+$`, at most 256 characters). */
  name: string;
  description: string;
  /** JSON Schema per version key (`"1"`, `"2"`, …); the highest numeric key is the latest. */
  schemas: Record<string, Record<string, unknown>> | null;
  featureFlag: string | null;
  groupName: string | null;
  deprecated: boolean;
  archived: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What happens when a message's payload does not match its event type's latest schema:
 * `enforce` rejects the message, `warn` accepts it and reports the violations, `off`
 * skips validation.
 */
export type SchemaMode = 'enforce' | 'warn' | 'off';
