import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Judgement } from '../../src/delivery/attempt.js';
import { logAttempt } from '../../src/delivery/attempt-log.js';
import { createLogger } from '../../src/observability/logger.js';
import { formatLogLine } from '../../src/observability/pretty.js';

function capture(level: Parameters<typeof createLogger>[0] = 'debug') {
  const lines: string[] = [];
  const logger = createLogger(
    level,
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  );
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRETS = [
  'whsec_top_level_secret',
  'whsec_nested_secret',
  'tok_top_level',
  'tok_nested',
  'sk_admin_in_header',
  'sk_admin_nested_header',
  'session=cookie-value',
  'k_signing_key',
  'postgres://user:pw@db/herald',
];

describe('log redaction', () => {
  it('prints [redacted] in place of secrets, tokens, keys and authorization headers, wherever the call site put them', () => {
    const { logger, lines, records } = capture();
    logger.info(
      {
        secret: 'whsec_top_level_secret',
        token: 'tok_top_level',
        endpoint: { id: 'ep_1', secret: 'whsec_nested_secret', key: 'k_signing_key' },
        portal: { token: 'tok_nested' },
        headers: { authorization: 'Bearer sk_admin_in_header', 'content-type': 'application/json' },
        request: {
          headers: { authorization: 'Bearer sk_admin_nested_header', cookie: 'session=cookie-value' },
        },
        config: { databaseUrl: 'postgres://user:pw@db/herald', port: 8040 },
      },
      'something happened',
    );
    const text = lines.join('');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const [record] = records();
    expect(record).toMatchObject({
      secret: '[redacted]',
      token: '[redacted]',
      endpoint: { id: 'ep_1', secret: '[redacted]', key: '[redacted]' },
      portal: { token: '[redacted]' },
      headers: { authorization: '[redacted]', 'content-type': 'application/json' },
      request: { headers: { authorization: '[redacted]', cookie: '[redacted]' } },
      config: { databaseUrl: '[redacted]', port: 8040 },
    });
  });
});

describe('human-readable logs in a terminal', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('formats a JSON line as time, level, message and key=value pairs', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2030-01-02T03:04:05.678Z',
      service: 'herald',
      pid: 1,
      hostname: 'h',
      msg: 'delivery attempt',
      msgId: 'msg_1',
      statusCode: 503,
      reason: 'two words',
    });
    expect(formatLogLine(line)).toBe(
      '03:04:05.678 INFO  delivery attempt msgId=msg_1 statusCode=503 reason="two words"\n',
    );
  });

  it('rounds fractional numbers such as durations to 2 decimals', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2030-01-02T03:04:05.678Z',
      msg: 'request completed',
      ms: 19.53305999999975,
      ratio: 0.0041234,
      statusCode: 200,
    });
    expect(formatLogLine(line)).toBe(
      '03:04:05.678 INFO  request completed ms=19.53 ratio=0.0041 statusCode=200\n',
    );
  });

  it('keeps control characters escaped, so a crafted value cannot forge a second log line', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2030-01-02T03:04:05.678Z',
      msg: 'a\nFAKE',
      id: 'x\nERROR y',
    });
    const out = formatLogLine(line);
    expect(out.split('\n')).toHaveLength(2);
    expect(out).toContain('WARN ');
  });

  it('shows the error stack under the line', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2030-01-02T03:04:05.678Z',
      msg: 'failed',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at here' },
    });
    expect(formatLogLine(line)).toBe('03:04:05.678 ERROR failed\n    Error: boom\n        at here\n');
  });

  it('writes formatted lines, still redacted, when stdout is a terminal', () => {
    const written: string[] = [];
    const stdout = process.stdout as { isTTY?: boolean };
    const wasTTY = stdout.isTTY;
    stdout.isTTY = true;
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const logger = createLogger('info');
      logger.info({ endpointId: 'ep_1', secret: 'whsec_hidden' }, 'endpoint disabled');
    } finally {
      stdout.isTTY = wasTTY;
      vi.restoreAllMocks();
    }
    const out = written.join('');
    const ESC = String.fromCharCode(27);
    expect(out.startsWith(ESC)).toBe(false);
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} /);
    expect(out).toContain(`${ESC}[32mINFO ${ESC}[0m endpoint disabled endpointId=ep_1 secret=`);
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('whsec_hidden');
  });
});

describe('logAttempt', () => {
  const delivery = { id: 'dlv_1', msgId: 'msg_1', endpointId: 'ep_1', appId: 'app_1', requestId: 'req_abc' };
  const judgement = (over: Partial<Judgement> = {}, status = 503): Judgement => ({
    success: false,
    exhausted: false,
    gone: false,
    ...over,
    outcome: {
      deliveryId: 'dlv_1',
      owner: 'w',
      status: 1,
      attemptCount: 2,
      dueAt: Date.parse('2030-01-01T00:00:05Z'),
      nextAttemptAt: Date.parse('2030-01-01T00:00:05Z'),
      attempt: {
        id: 'atmpt_1',
        msg_id: 'msg_1',
        endpoint_id: 'ep_1',
        app_id: 'app_1',
        url: 'https://example.com/hook',
        status: 2,
        response_status_code: status,
        response: '',
        response_headers: '{}',
        request_headers: '{}',
        duration_ms: 12,
        error_class: status >= 500 ? 'http_5xx' : null,
        error_message: null,
        trigger_type: 0,
        created_at: 0,
        batch_msg_ids: null,
      },
    },
  });

  it('logs an attempt at debug level with the ids that lead back to the publishing API call', () => {
    const { logger, records } = capture('debug');
    logAttempt(logger, delivery, judgement());
    expect(records()).toEqual([
      expect.objectContaining({
        level: 20,
        msg: 'delivery attempt',
        requestId: 'req_abc',
        msgId: 'msg_1',
        endpointId: 'ep_1',
        deliveryId: 'dlv_1',
        attemptId: 'atmpt_1',
        attempt: 2,
        state: 'retrying',
        statusCode: 503,
        errorClass: 'http_5xx',
        durationMs: 12,
        nextAttemptAt: '2030-01-01T00:00:05.000Z',
      }),
    ]);
  });

  it('logs nothing for an ordinary attempt at info level, but does log an exhausted delivery', () => {
    const { logger, records } = capture('info');
    logAttempt(logger, delivery, judgement({ success: true }, 200));
    logAttempt(logger, delivery, judgement());
    expect(records()).toEqual([]);
    logAttempt(logger, delivery, judgement({ exhausted: true }));
    expect(records()).toEqual([
      expect.objectContaining({ level: 30, state: 'exhausted', requestId: 'req_abc', attemptId: 'atmpt_1' }),
    ]);
  });
});
