import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium unless `HYBRIDSPIKE_CHROMIUM` names another (playwright never downloads one here). */
export const CHROMIUM = process.env.HYBRIDSPIKE_CHROMIUM ?? '/usr/bin/chromium';

/** Starts headless Chromium through playwright-core, or says how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: apt-get install -y chromium (Debian), or set HYBRIDSPIKE_CHROMIUM to a Chromium or Chrome executable.`,
    );
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    // Runs as root in containers (no sandbox there); a closed network: no background fetches.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
