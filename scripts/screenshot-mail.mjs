// Screenshots of the rendered HTML code mail at phone width, for the README and for
// designers. Uses Debian's Chromium (apt-get install chromium) through playwright-core;
// nothing is downloaded. Run with `npm run screenshots`; the PNGs land in screenshots/.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writePreviews } from '../dist/src/mail/preview.js';

const locales = process.argv.slice(2).length ? process.argv.slice(2) : ['en', 'de'];
const outDir = resolve('screenshots');
mkdirSync(outDir, { recursive: true });
const htmlFiles = writePreviews(join(outDir, 'html'), locales).filter((f) => f.endsWith('.html'));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  // An iPhone-sized viewport at 3x, the width most people read these mails at.
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  for (const file of htmlFiles) {
    await page.goto(pathToFileURL(file).href);
    const png = file.replace(/\/html\/([^/]+)\.html$/, '/mail-$1-phone.png');
    await page.screenshot({ path: png, fullPage: true });
    console.log(png);
  }
} finally {
  await browser.close();
}
