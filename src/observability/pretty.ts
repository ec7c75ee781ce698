import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const COLORS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line has or that the layout already shows. */
const HIDDEN = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'err']);

/**
 * A value as it reads best after `key=`: bare when it is one plain word, JSON otherwise.
 * Fractional numbers (durations from `performance.now()`, ratios) are shown to 2 decimals, or
 * 2 significant digits below 1: `ms=19.53305999999975` says no more than `ms=19.53`, and a ratio
 * of 0.004 stays visible. The JSON logs keep every digit.
 */
function formatValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value))
    return String(Math.abs(value) >= 1 ? Math.round(value * 100) / 100 : Number(value.toPrecision(2)));
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/**
 * Turns one pino JSON line into `12:00:01.234 INFO  message key=value …`, with the error
 * stack (if any) below. Control characters in values stay escaped (JSON), so a crafted
 * request id cannot forge log lines. Lines that are not JSON pass through unchanged.
 */
export function formatLogLine(line: string, color = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  const time =
    typeof record.time === 'string' ? record.time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const label = LEVELS[level] ?? String(record.level);
  const shownLevel = color ? `\u001b[${COLORS[level] ?? '0'}m${label}\u001b[0m` : label;
  const msg = typeof record.msg === 'string' ? JSON.stringify(record.msg).slice(1, -1) : '';
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  let out = [time, shownLevel, msg, ...fields].filter((part) => part !== '').join(' ');
  const err = record.err as { stack?: unknown; message?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const stack = typeof err.stack === 'string' ? err.stack : String(err.message ?? '');
    out += `\n    ${stack.replace(/\n/g, '\n    ')}`;
  }
  return `${out}\n`;
}

/**
 * A destination for pino that writes human-readable lines to `out` (stdout in a terminal),
 * so `herald serve` in a shell is readable without installing pino-pretty, while logs
 * piped to a file or a collector stay JSON.
 */
export function prettyStream(out: NodeJS.WritableStream = process.stdout, color = true): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = String(chunk);
      for (const line of text.split('\n')) if (line !== '') out.write(formatLogLine(line, color));
      callback();
    },
  });
}
