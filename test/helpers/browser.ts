// Debian's Chromium, driven by playwright-core (no browser download), for the browser tests.
import { existsSync } from 'node:fs';
import type { Test } from 'tap';
import { chromium, type Browser } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A headless Chromium closed in teardown, or undefined when there is none: in CI that fails
 * the test; elsewhere (not root, no apt-get) the test is skipped, saying why.
 */
export async function launchChromium(t: Test): Promise<Browser | undefined> {
  if (!existsSync(chromiumPath)) {
    const missing = `Chromium is missing at ${chromiumPath}: run scripts/install-chromium.sh (apt-get install chromium) or set CHROMIUM_PATH`;
    if (process.env.CI === 'true') t.fail(missing);
    else t.plan(0, missing);
    return undefined;
  }
  // Without the background-networking flags Chromium keeps dialling hosts this closed
  // network refuses.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
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
  t.teardown(() => browser.close());
  return browser;
}
