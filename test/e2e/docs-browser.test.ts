// /docs as a person uses it: opened at the address the server logs (127.0.0.1), "Try it
// out" calls that same server and shows its answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { launchChromium } from '../helpers/browser.js';
import { requireBuild, startMailcode } from '../helpers/processes.js';

t.test('"Try it out" in /docs works from 127.0.0.1', async (t) => {
  if (!requireBuild(t)) return;
  const browser = await launchChromium(t);
  if (!browser) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-docs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mailcode = await startMailcode(t, {
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    MAIL_DIR: join(dir, 'mail'),
    LOG_LEVEL: 'warn',
  });
  t.match(mailcode.url, /^http:\/\/127\.0\.0\.1:/);

  const page = await browser.newPage();
  const calls: string[] = [];
  page.on('request', (request) => calls.push(request.url()));
  await page.goto(`${mailcode.url}/docs`);
  const operation = page.locator('#operations-default-healthz, .opblock:has([data-path="/healthz"])').first();
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const status = operation.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 10_000 });
  t.equal((await status.innerText()).trim(), '200', 'the call answered 200');
  t.ok(calls.includes(`${mailcode.url}/healthz`), 'the call went to the address the page was opened at');
});
