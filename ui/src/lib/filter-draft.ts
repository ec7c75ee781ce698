/**
 * The payload filter as typed in the endpoint form: JSON text, empty for "every message".
 * Checked here for what the browser can tell (it parses, it is an object); the language itself
 * is checked by Herald, which the form asks as you type.
 */
import { syntaxPosition } from './json-check.js';

export type FilterDraft =
  | { kind: 'none' }
  | { kind: 'ok'; value: Record<string, unknown> }
  | { kind: 'invalid'; message: string };

/** Reads the filter field. */
export function readFilterDraft(text: string): FilterDraft {
  if (!text.trim()) return { kind: 'none' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const { line, column } = syntaxPosition(text, (err as Error).message);
    return { kind: 'invalid', message: `This is not valid JSON (line ${line}, column ${column}).` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { kind: 'invalid', message: 'A filter is a JSON object, such as {"data.currency": "eur"}.' };
  return { kind: 'ok', value: value as Record<string, unknown> };
}

/** The filter as an endpoint has it, as the form shows it. */
export function filterText(filter: Record<string, unknown> | null | undefined): string {
  return filter ? JSON.stringify(filter, null, 2) : '';
}
