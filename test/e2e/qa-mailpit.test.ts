// `npm run qa`: mailcode and Mailpit's web UI on one machine. QA finds a code mail in the
// real Mailpit UI by its tags (purpose, language, client) and reads the code in the
// rendered HTML, in Chromium; the `mailcode qa` process answers on both addresses and
// Ctrl-C leaves no process behind.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MailpitClient } from 'mailpit-api';
import { mailpitBinary } from '../../src/qa/mailpit.js';
import { startQa } from '../../src/qa/qa.js';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from '../helpers/browser.js';
import { LogCapture } from '../helpers/build.js';
import { cliPath, freePort, requireBuild, stopProcess, waitFor } from '../helpers/processes.js';

const shots = join(packageRoot, 'screenshots');

async function sendCode(url: string, apiKey: string, body: object) {
  const response = await fetch(`${url}/send-code`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`send-code answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { verificationId: string };
}

t.test("QA finds a code mail in Mailpit's web UI by its tags and reads the code", async (t) => {
  const binary = mailpitBinary();
  if (!binary) return t.fail('Mailpit is not built: run scripts/install-mailpit.sh');
  const browser = await launchChromium(t);
  if (!browser) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-qa-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(shots, { recursive: true });
  const qa = await startQa({
    mailpitBinary: binary,
    dir,
    port: await freePort(),
    mailpitPort: await freePort(),
    smtpPort: await freePort(),
    logStream: new LogCapture(),
  });
  t.teardown(() => qa.stop());
  const mailbox = new MailpitClient(qa.mailpitUrl);

  // Three mails, so the tags have something to tell apart.
  await sendCode(qa.mailcodeUrl, qa.apiKey, { email: 'ann@acme.example', purpose: 'login', locale: 'en' });
  const wanted = await sendCode(qa.mailcodeUrl, qa.apiKey, {
    email: 'bea@acme.example',
    purpose: 'signup',
    locale: 'de',
  });
  await sendCode(qa.mailcodeUrl, qa.apiKey, { email: 'cem@acme.example', purpose: 'signup', locale: 'fr' });
  await waitFor('three mails in Mailpit', async () => (await mailbox.listMessages()).messages_count === 3, 10_000);
  const code = /^ {4}(\d{6})$/m.exec(
    (await mailbox.getMessageSummary((await mailbox.searchMessages({ query: 'to:bea@acme.example' })).messages[0]!.ID))
      .Text,
  )![1]!;

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const assets: number[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/dist/')) assets.push(r.status());
  });
  await page.goto(qa.mailpitUrl);
  t.ok(
    assets.length > 0 && assets.every((s) => s === 200),
    `the UI's own scripts and styles load (${assets.join(', ')})`,
  );
  const tag = (name: string) =>
    page.locator('.list-group a.list-group-item:not(.message):visible', { hasText: new RegExp(`^\\s*${name}\\s*$`) });
  // A click on a tag filters by it; Ctrl-click adds another: "signup, de, Demo Portal".
  await tag('signup').click();
  await page.waitForURL(/\/search\?q=tag/);
  await tag('de').click({ modifiers: ['Control'] });
  await tag('Demo Portal').click({ modifiers: ['Control'] });
  await page.waitForURL(
    (url) => /tag:de\b/.test(url.searchParams.get('q') ?? '') && /Demo Portal/.test(url.searchParams.get('q') ?? ''),
  );
  const listed = page.locator('a.message');
  await waitFor('one mail left by the tags', async () => (await listed.count()) === 1, 10_000);
  t.match(await listed.first().innerText(), /bea@acme\.example/, 'the German sign-up mail, and only it');

  await listed.first().click();
  const html = page.frameLocator('#preview-html');
  await html.locator('body').waitFor();
  const rendered = await html.locator('body').innerText();
  t.ok(rendered.replace(/\s/g, '').includes(code), 'the code is in the rendered HTML');
  t.match(rendered, /Demo Portal/);
  await page.screenshot({ path: join(shots, 'mailpit-code-mail.png') });

  // Signed with the demo client's own DKIM key, aligned with its From.
  const headers = await mailbox.getMessageHeaders(
    (await mailbox.searchMessages({ query: 'to:bea@acme.example' })).messages[0]!.ID,
  );
  t.match((headers['Dkim-Signature'] ?? headers['DKIM-Signature'])?.[0], /d=demo-portal\.example;.*s=qa;/s);
  // The verification id finds the same mail (its Message-ID carries it).
  const byId = await mailbox.searchMessages({ query: `message-id:${wanted.verificationId}` });
  t.same(
    byId.messages.map((m) => m.To[0]?.Address),
    ['bea@acme.example'],
  );
});

t.test('`mailcode qa` answers on both addresses, and Ctrl-C leaves no process behind', async (t) => {
  if (!requireBuild(t)) return;
  if (!mailpitBinary()) return t.fail('Mailpit is not built: run scripts/install-mailpit.sh');
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-qa-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [port, mailpitPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const start = () => {
    // Its own process group, as a terminal runs it: Ctrl-C signals the whole group.
    const child = spawn(
      process.execPath,
      [
        cliPath,
        'qa',
        '--port',
        String(port),
        '--mailpit-port',
        String(mailpitPort),
        '--smtp-port',
        String(smtpPort),
        '--dir',
        dir,
      ],
      {
        env: { ...process.env, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    t.teardown(() => stopProcess(child, 'SIGKILL'));
    return { child, output: () => output };
  };
  const ctrlC = async (child: ReturnType<typeof start>['child']) => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    process.kill(-child.pid!, 'SIGINT');
    return exited;
  };
  const processesOf = () =>
    spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => line.includes(dir));

  const keys: string[] = [];
  for (const run of ['first', 'second']) {
    const qa = start();
    await waitFor(`the ${run} start's banner`, async () => /Ctrl-C stops both/.test(qa.output()), 30_000);
    const key = /^\s+(mc_[A-Za-z0-9_-]{43})$/m.exec(qa.output())?.[1];
    t.ok(key, `${run}: a ready API key is printed`);
    keys.push(key!);
    t.match(qa.output(), `http://127.0.0.1:${port}`);
    t.match(qa.output(), `Mailpit web UI   http://127.0.0.1:${mailpitPort}`);
    t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, `${run}: mailcode answers`);
    const ui = await fetch(`http://127.0.0.1:${mailpitPort}/`);
    t.equal(ui.status, 200, `${run}: Mailpit's web UI answers`);
    const script = /src="([^"]*dist\/app\.js[^"]*)"/.exec(await ui.text())?.[1];
    t.equal(
      script && (await fetch(new URL(script, `http://127.0.0.1:${mailpitPort}/`))).status,
      200,
      `${run}: with its scripts (not the UI-less go install)`,
    );
    await sendCode(`http://127.0.0.1:${port}`, key!, { email: `${run}@acme.example`, purpose: 'signup' });
    const mailbox = new MailpitClient(`http://127.0.0.1:${mailpitPort}`);
    await mailbox.waitForMessage({ query: `to:${run}@acme.example` }, { timeout: 10_000, interval: 100 });
    t.ok(processesOf().length >= 2, `${run}: mailcode and Mailpit run`);
    t.equal(await ctrlC(qa.child), 0, `${run}: Ctrl-C ends it cleanly`);
    await waitFor('no process left', async () => processesOf().length === 0, 10_000);
    t.same(processesOf(), [], `${run}: nothing left running`);
    await t.rejects(fetch(`http://127.0.0.1:${mailpitPort}/`), `${run}: Mailpit's port is closed`);
  }
  t.not(keys[0], keys[1], 'the demo client is kept, with a new key at each start');
});
