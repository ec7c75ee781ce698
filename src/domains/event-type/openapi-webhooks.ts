/**
 * The event catalog as an OpenAPI 3.1 document with a `webhooks` section: what a platform
 * publishes so its customers can read every event, generate types and mock receivers.
 *
 * Each event type's latest schema becomes a named component (`components/schemas/invoice.paid`)
 * and its `$defs` are hoisted beside it, with `$ref`s rewritten to document pointers. Identical
 * definitions shared by several event types (the same `money` or `customer`) become one
 * component; different ones with the same name get a numeric suffix.
 */
import { exampleFor } from './example.js';
import { encodePointer, forEachSubschema, isPlainObject, resolveLocalRef } from './schema-refs.js';
import { latestSchema, schemaDialect } from './schema-validation.js';
import type { EventTypeRecord } from './types.js';

type Schema = Record<string, unknown>;

/** The OpenAPI 3.1 document `buildWebhooksDocument` returns (plain JSON, ready to serve). */
export interface WebhooksDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string }>;
  webhooks: Record<string, { post: Record<string, unknown> }>;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, Record<string, unknown>>;
  };
}

const SIGNATURE_HEADERS: Record<string, Record<string, unknown>> = {
  'webhook-id': {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description:
      'Unique message id, the same on every retry of this message: use it to ignore duplicates. ' +
      'Part of the signed content.',
    schema: { type: 'string', example: 'msg_2hFk3bW9yXq6TfD1mV8pLr4sNz' },
  },
  'webhook-timestamp': {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      'When this attempt was sent, in seconds since the Unix epoch. Reject messages more than five ' +
      'minutes away from your clock to stop replays. Part of the signed content.',
    schema: { type: 'integer', example: 1714564800 },
  },
  'webhook-signature': {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated signatures: `v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}` ' +
      'with your endpoint secret (`v1a,<base64 ed25519>` for asymmetric keys). During a secret rotation ' +
      'several are sent; accept the message if any one verifies.',
    schema: { type: 'string', example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' },
  },
};

const DESCRIPTION =
  'Every webhook is an HTTPS POST with a JSON body, signed following the Standard Webhooks ' +
  'specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`; the same values may also ' +
  'come as `svix-id`, `svix-timestamp` and `svix-signature` for receivers using Svix libraries). ' +
  'Answer with any 2XX status before the timeout (15 seconds by default) to acknowledge; anything ' +
  'else, or no answer, is retried with exponential backoff.';

/**
 * Builds the OpenAPI 3.1 webhooks document of a catalog: one `post` operation per event type
 * that is not archived, keyed by its name, with its description, group as tag, deprecation, the
 * latest schema as request body, an example, and the signature headers. An event type without a
 * schema is documented as accepting any JSON object. Event types behind a feature flag are
 * included and marked `x-feature-flag`; filter them out first when serving consumers who lack
 * the flag.
 */
export function buildWebhooksDocument(
  eventTypes: EventTypeRecord[],
  info: { title?: string; version?: string } = {},
): WebhooksDocument {
  const registry = new Map<string, Schema>();
  const webhooks: WebhooksDocument['webhooks'] = {};
  const tags = new Set<string>();
  const active = eventTypes.filter((et) => !et.archived).sort((a, b) => a.name.localeCompare(b.name));

  for (const eventType of active) {
    const latest = latestSchema(eventType.schemas);
    const schema = latest
      ? { $ref: `#/components/schemas/${escapeName(hoist(eventType.name, latest.schema, registry))}` }
      : { type: 'object', description: 'This event type has no schema: any JSON object.' };
    const operation: Record<string, unknown> = {
      operationId: eventType.name,
      summary: eventType.name,
      description: eventType.description,
    };
    if (eventType.groupName) {
      operation.tags = [eventType.groupName];
      tags.add(eventType.groupName);
    }
    if (eventType.deprecated) operation.deprecated = true;
    if (eventType.featureFlag) operation['x-feature-flag'] = eventType.featureFlag;
    if (latest) operation['x-schema-version'] = latest.version;
    operation.parameters = Object.keys(SIGNATURE_HEADERS).map((name) => ({
      $ref: `#/components/parameters/${name}`,
    }));
    operation.requestBody = {
      required: true,
      content: { 'application/json': { schema, example: exampleFor(eventType) } },
    };
    operation.responses = {
      '2XX': { description: 'Any 2XX status acknowledges the message; it will not be sent again.' },
    };
    webhooks[eventType.name] = { post: operation };
  }

  return {
    openapi: '3.1.0',
    info: { title: info.title ?? 'Webhooks', version: info.version ?? '1.0.0', description: DESCRIPTION },
    tags: [...tags].sort().map((name) => ({ name })),
    webhooks,
    components: {
      schemas: Object.fromEntries([...registry].sort(([a], [b]) => a.localeCompare(b))),
      parameters: structuredClone(SIGNATURE_HEADERS),
    },
  };
}

/** A component name inside a JSON pointer (component names cannot hold `/`, but `~` is escaped too). */
function escapeName(name: string): string {
  return encodePointer([name]).slice(1);
}

/** Component names allow letters, digits, `.`, `-` and `_`. */
function componentName(name: string): string {
  return name.replace(/[^a-zA-Z0-9._-]/g, '_') || '_';
}

/**
 * Puts one event type's schema and its definitions into the component registry and returns the
 * component name of the schema itself.
 */
function hoist(eventName: string, original: Schema, registry: Map<string, Schema>): string {
  const schema = structuredClone(original);
  if (schemaDialect(original) === 'draft-07') upgradeDraft07(schema);

  // Where every $ref lands, computed once on the untouched structure.
  const refs: Array<{ node: Schema; path: string[] }> = [];
  forEachSubschema(schema, (node) => {
    if (typeof node.$ref !== 'string') return;
    const path = resolveLocalRef(schema, node.$ref);
    if (path) refs.push({ node, path });
  });
  forEachSubschema(schema, (node) => {
    delete node.$schema;
    delete node.$id;
    delete node.$anchor;
  });
  const defs = isPlainObject(schema.$defs) ? schema.$defs : {};
  delete schema.$defs;

  const baseNames = new Map(Object.keys(defs).map((def) => [def, componentName(def)]));
  const rootBase = componentName(eventName);
  const names = new Map(baseNames);
  let rootName = rootBase;

  const pointTo = () => {
    for (const { node, path } of refs) {
      const [first, second, ...rest] = path;
      const hoisted = first === '$defs' && second !== undefined ? names.get(second) : undefined;
      node.$ref = hoisted
        ? `#/components/schemas/${escapeName(hoisted)}${encodePointer(rest)}`
        : `#/components/schemas/${escapeName(rootName)}${encodePointer(path)}`;
    }
  };
  /** The base name, or the first `base_N` that is free or already holds this very content. */
  const pick = (base: string, content: unknown, claimed: Set<string>) => {
    const json = JSON.stringify(content);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base}_${n}`;
      if (claimed.has(candidate)) continue;
      const existing = registry.get(candidate);
      if (existing === undefined || JSON.stringify(existing) === json) return candidate;
    }
  };
  // A renamed component changes the refs inside the others, so repeat until the names settle.
  for (let round = 0; round < 2 * baseNames.size + 4; round++) {
    pointTo();
    const claimed = new Set<string>();
    let renamed = false;
    for (const [def, content] of Object.entries(defs)) {
      const chosen = pick(baseNames.get(def)!, content, claimed);
      claimed.add(chosen);
      if (chosen !== names.get(def)) renamed = true;
      names.set(def, chosen);
    }
    const chosenRoot = pick(rootBase, schema, claimed);
    if (chosenRoot !== rootName) renamed = true;
    rootName = chosenRoot;
    if (!renamed) break;
  }
  for (const [def, content] of Object.entries(defs)) registry.set(names.get(def)!, content as Schema);
  registry.set(rootName, schema);
  return rootName;
}

const ANNOTATIONS = new Set([
  '$ref',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
]);

/**
 * Rewrites, in place, the draft-07 keywords whose meaning changed in 2020-12 (the dialect of
 * OpenAPI 3.1): root `definitions` → `$defs`, tuple `items`/`additionalItems` → `prefixItems`/
 * `items`, `dependencies` → `dependentRequired`/`dependentSchemas`, and `$ref` siblings (ignored
 * by draft-07) dropped unless they are annotations.
 */
function upgradeDraft07(schema: Schema): void {
  if (isPlainObject(schema.definitions)) {
    schema.$defs = { ...schema.definitions, ...(isPlainObject(schema.$defs) ? schema.$defs : {}) };
    delete schema.definitions;
  }
  forEachSubschema(schema, (node) => {
    if (typeof node.$ref === 'string') {
      node.$ref = node.$ref.replace(/^#\/definitions\//, '#/$defs/');
      for (const key of Object.keys(node)) if (!ANNOTATIONS.has(key)) delete node[key];
    }
    if (Array.isArray(node.items)) {
      node.prefixItems = node.items;
      if ('additionalItems' in node) node.items = node.additionalItems;
      else delete node.items;
      delete node.additionalItems;
    } else delete node.additionalItems;
    if (isPlainObject(node.dependencies)) {
      for (const [name, dependency] of Object.entries(node.dependencies)) {
        const target = Array.isArray(dependency) ? 'dependentRequired' : 'dependentSchemas';
        node[target] = { ...(isPlainObject(node[target]) ? node[target] : {}), [name]: dependency };
      }
      delete node.dependencies;
    }
  });
}
