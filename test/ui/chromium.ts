import { existsSync } from 'node:fs';

/** Debian's Chromium; `.ci/run` installs it (`apt-get install -y chromium`) when it is missing. */
export const CHROMIUM = process.env.HERALD_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the browser tests can run here. */
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/**
 * Why the browser tests are skipped on this machine, or null when they run. In CI (`CI` set)
 * they always run, so a missing Chromium fails them there instead of passing unseen.
 */
export function browserSkipReason(): string | null {
  if (HAS_CHROMIUM || process.env.CI) return null;
  return (
    `Chromium not found at ${CHROMIUM} (install it with \`apt-get install -y chromium\`, ` +
    'or point HERALD_TEST_CHROMIUM at one)'
  );
}
