import { Transform } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { invalidField } from '../../errors.js';

/**
 * A `preParsing` hook for publishing: refuses a body that is not valid UTF-8 with a 422,
 * instead of letting the JSON parser replace the bad bytes with U+FFFD and storing (and
 * signing, and delivering) a payload other than the one sent. Checked as the body streams in
 * (a fatal streaming decoder), so the body limit and the parser are unchanged.
 */
export async function refuseInvalidUtf8(
  _request: FastifyRequest,
  _reply: unknown,
  payload: NodeJS.ReadableStream,
) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  const check = (chunk: Buffer | undefined, final: boolean): Error | null => {
    try {
      decoder.decode(chunk, { stream: !final });
      offset += chunk?.length ?? 0;
      return null;
    } catch {
      const err = invalidField(
        ['body'],
        `body: is not valid UTF-8 (near byte ${offset}); send the payload as UTF-8 so it can be stored and signed exactly as sent`,
      );
      return Object.assign(err, { statusCode: 422 });
    }
  };
  return payload.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        callback(check(chunk, false), chunk);
      },
      flush(callback) {
        callback(check(undefined, true));
      },
    }),
  );
}

/**
 * The path of the first number in `value` that JSON cannot carry back as sent (`1e999999`
 * parses to Infinity, which is stored as `null`), or null when every number is finite.
 */
export function firstInexactNumber(
  value: unknown,
  path: (string | number)[] = [],
): (string | number)[] | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstInexactNumber(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const found = firstInexactNumber((value as Record<string, unknown>)[key], [...path, key]);
    if (found) return found;
  }
  return null;
}
