import { readFileSync } from 'node:fs';

/** Herald's version, from package.json (one directory above both `src/` and `dist/`). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const USER_AGENT = `Herald/${VERSION} (webhook delivery; +https://github.com/herald-webhooks/herald)`;
