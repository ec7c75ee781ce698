import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import type { Logger } from '../observability/logger.js';

/** Node's parser codes (and its request timeout) mapped to Svix-shaped answers; anything else is a 400. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'request_header_fields_too_large',
    detail: 'The request line and headers are too large.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    code: 'payload_too_large',
    detail: 'The chunk extensions of the request body are too large.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    detail: 'The request did not arrive in time.',
  },
};
const NOT_HTTP = { status: 400, code: 'bad_request', detail: 'The request is not valid HTTP/1.1.' };

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (headers too large, a
 * malformed request line) with Svix's `{code, detail}` body instead of Fastify's default.
 * The raw packet is neither echoed nor logged: it may hold an Authorization header.
 */
export function answerClientError(error: ConnectionError, socket: Socket, logger: Logger): void {
  // A reset connection has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = CLIENT_ERRORS[error.code] ?? NOT_HTTP;
  logger.debug(
    { code: error.code, status: answer.status },
    'refused a request the HTTP parser could not read',
  );
  // As Node itself does: never write into a response whose head is already on the wire.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({ code: answer.code, detail: answer.detail });
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}
