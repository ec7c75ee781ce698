import type { TestHerald } from '../support/herald.js';

export { type ApiAnswer, callApi } from '../support/api.js';

/** A consumer-portal token scoped to `appId`, made through the API as an operator would. */
export async function portalToken(herald: TestHerald, appId: string): Promise<string> {
  const res = await herald.api('POST', `/api/v1/auth/app-portal-access/${appId}`, {});
  if (res.status !== 200)
    throw new Error(`app-portal-access answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** True when `body` is one of Svix's error bodies: `{code, detail}` or a 422's `{detail: [{loc, msg, type}]}`. */
export function isSvixErrorBody(status: number, body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  if (status === 422) {
    return (
      Array.isArray(b.detail) &&
      b.detail.length > 0 &&
      b.detail.every(
        (issue: unknown) =>
          issue !== null &&
          typeof issue === 'object' &&
          Array.isArray((issue as { loc?: unknown }).loc) &&
          typeof (issue as { msg?: unknown }).msg === 'string' &&
          typeof (issue as { type?: unknown }).type === 'string',
      )
    );
  }
  return typeof b.code === 'string' && typeof b.detail === 'string' && b.code !== '' && b.detail !== '';
}
