import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = ReturnType<ReturnType<SerializerFactory>>;

/**
 * Fastify's response serializers (fast-json-stringify), built once per distinct schema.
 * Fastify builds one per route and status code, some 600 here, and most are the same few
 * `$ref`s to shared schemas (every route's error responses); building each anew took
 * about a second of CPU at every start. Fastify asks for a new compiler in every plugin
 * context, so the cache spans them, keyed by the shared schemas each context knows; and it
 * spans every app built in the process (the tests build hundreds, all with the same routes).
 */
const build = SerializerSelector();
const built = new Map<string, Serializer>();

export function cachedSerializers(): SerializerFactory {
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    const known = Object.keys((externalSchemas ?? {}) as object).join(',');
    return (route) => {
      const key = `${known}|${JSON.stringify(route.schema)}`;
      let serializer = built.get(key);
      if (!serializer) {
        serializer = compile(route);
        built.set(key, serializer);
      }
      return serializer;
    };
  };
}
