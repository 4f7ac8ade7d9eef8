// Passkeys through the example portal in Chromium with a virtual authenticator (DevTools'
// WebAuthn domain), and a real Mailpit: Pat adds a passkey on Account → Security (the notice
// arrives), renames it, signs in usernameless from the address field's autofill, and — the
// portal's backend with its user reference — through mailcode/client, whose verifier reads
// hwk and user. A look-alike origin, a replayed answer, an expired challenge, another
// client's challenge and a counter set back each get their documented answer; a removed
// passkey signs no one in. mailcode runs in-process on a clock the test moves. On SQLite,
// then PostgreSQL + Redis.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { MailpitClient } from 'mailpit-api';
import type { CDPSession, Page } from 'playwright-core';
import {
  MailcodeClient,
  MailcodeError,
  type PasskeyAuthenticationResponse,
  type PasskeyOptions,
  verifyPasskeyAssertion,
} from '../../src/sdk/index.js';
import { packageRoot } from '../../src/shared/paths.js';
import { byCommandLine } from '../helpers/build.js';
import { onEachDatabase, onPostgres } from '../helpers/databases.js';
import { examplePortal, fileBrowserAndMailpit, mailcodeOnLoopback, newestCode } from '../helpers/portal-app.js';
import { freePort, waitFor } from '../helpers/processes.js';

const shots = join(packageRoot, 'screenshots');
mkdirSync(shots, { recursive: true });

const { browser, mailpit, files, close } = await fileBrowserAndMailpit('mailcode-passkeys-');

/** A platform authenticator that verifies the person (a fingerprint) and answers at once. */
async function virtualAuthenticator(cdp: CDPSession) {
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

await onEachDatabase(async (t) => {
  if (!browser || !mailpit) return;
  const mailbox = new MailpitClient(mailpit.apiUrl);
  await mailbox.deleteMessages();
  let offset = 0;
  const now = () => Date.now() + offset;
  const { app, url } = await mailcodeOnLoopback(t, { files, smtpPort: mailpit.smtpPort, now });
  const { client, apiKey } = await app.mailcode.clients.create(
    { name: 'Acme Portal', allowedDomains: ['acme.example'] },
    byCommandLine,
  );
  // WebAuthn wants https, or http on localhost: the portal is reached as localhost.
  const port = await freePort();
  const portalUrl = `http://localhost:${port}`;
  await app.mailcode.passkeySettings.setUp(
    client,
    { rpId: 'localhost', origins: [portalUrl], alone: true },
    byCommandLine,
  );
  await examplePortal(t, { url, clientId: client.id, apiKey, port });
  const portal = new MailcodeClient({ baseUrl: url, apiKey });

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const authenticatorId = await virtualAuthenticator(cdp);
  const bodyText = (p: Page) => p.locator('body').innerText();
  const axe = async (p: Page, what: string) => {
    const { violations } = await new AxeBuilder({ page: p }).analyze();
    t.same(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      [],
      `axe: ${what}`,
    );
  };
  const events = async (type: string) =>
    (await app.mailcode.events.search({ clientId: client.id, types: [type as never] })).events;

  // Pat signs up; the log-in page offers passkeys (none in this browser yet).
  await page.goto(`${portalUrl}/signup`);
  await page.getByLabel('Work email').fill('pat@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  await page.getByLabel('Verification code').fill(await newestCode(mailbox, 'pat@acme.example', 0));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByLabel('New password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.match(await bodyText(page), /Signed in as pat@acme\.example/);
  const userRef = (await app.mailcode.people.linkedTo({ email: 'pat@acme.example' }))[0]!.userRef;

  const loginPage = await context.newPage(); // no authenticator on this tab: the autofill waits
  await loginPage.goto(`${portalUrl}/login`);
  t.equal(await loginPage.getByLabel('Work email').getAttribute('autocomplete'), 'username webauthn', 'autofill');
  t.ok(await loginPage.getByRole('button', { name: 'Sign in with a passkey' }).isVisible());
  if (!onPostgres) {
    await axe(loginPage, 'log in with a passkey');
    await loginPage.screenshot({ path: join(shots, 'portal-18-login-passkey.png'), fullPage: true });
  }
  await loginPage.close();

  // Account → Security: "Add a passkey" — the ceremony starts from the click.
  await page.goto(`${portalUrl}/security`);
  t.match(await bodyText(page), /No passkeys yet/);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey added: it signs you in from now on.').waitFor();
  await waitFor(
    'the passkey notice',
    async () =>
      (await mailbox.searchMessages({ query: 'to:pat@acme.example subject:"A passkey was added"' })).messages_count > 0,
  );
  t.pass('the notice arrives in Mailpit');
  await page.getByLabel('New name for Passkey').fill('Work laptop');
  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByText('Passkey renamed.').waitFor();
  t.match(await page.locator('#passkeys').innerText(), /Work laptop/);
  if (!onPostgres) {
    await axe(page, 'security with a passkey');
    await page.screenshot({ path: join(shots, 'portal-19-security-passkeys.png'), fullPage: true });
  }

  // Usernameless: the address field's autofill offers the passkey, the authenticator answers.
  await context.clearCookies({ name: 'sid' });
  await page.goto(`${portalUrl}/login`);
  await page.waitForURL(`${portalUrl}/login/passkey`);
  t.match(await bodyText(page), /Signed in as pat@acme\.example/, 'signed in from the autofill, no address typed');
  const [used] = await events('passkey.used');
  t.same(used!.data.amr, ['hwk', 'user', 'mfa'], 'a key on this device, the person verified');

  // The portal's backend with a user reference, the browser's answer, mailcode/client's verifier.
  const answer = async (options: PasskeyOptions, on: Page = page) =>
    (await on.evaluate(
      (optionsJSON) =>
        (
          window as unknown as {
            SimpleWebAuthnBrowser: { startAuthentication(o: object): Promise<unknown> };
          }
        ).SimpleWebAuthnBrowser.startAuthentication({ optionsJSON }),
      options,
    )) as PasskeyAuthenticationResponse;
  await page.goto(`${portalUrl}/security`);
  const byRef = await answer(await portal.startPasskeySignIn({ userRef }));
  const signedIn = await portal.finishPasskeySignIn(byRef);
  const claims = await verifyPasskeyAssertion(signedIn.assertion, {
    issuer: url,
    audience: client.id,
    userRef,
    currentDate: new Date(now()),
  });
  t.match(claims, { sub: userRef, verification_method: 'passkey', acr: 'urn:mailcode:acr:2fa' });
  t.ok(claims.amr.includes('hwk') && claims.amr.includes('user'), 'the verifier reads hwk and user');

  const refusal = async (work: Promise<unknown>) => {
    try {
      await work;
      return 'accepted';
    } catch (error) {
      if (!(error instanceof MailcodeError)) throw error;
      return error.code;
    }
  };
  t.equal(await refusal(portal.finishPasskeySignIn(byRef)), 'passkey_challenge_refused', 'a replayed answer');

  const other = await app.mailcode.clients.create(
    { name: 'Other Portal', allowedDomains: ['other.example'] },
    byCommandLine,
  );
  await app.mailcode.passkeySettings.setUp(
    other.client,
    { rpId: 'localhost', origins: [portalUrl], alone: true },
    byCommandLine,
  );
  const otherPortal = new MailcodeClient({ baseUrl: url, apiKey: other.apiKey });
  const theirs = await answer(await otherPortal.startPasskeySignIn());
  t.equal(await refusal(portal.finishPasskeySignIn(theirs)), 'passkey_challenge_refused', "another client's challenge");

  const late = await portal.startPasskeySignIn({ userRef });
  offset += 5 * 60_000 + 1_000;
  t.equal(
    await refusal(portal.finishPasskeySignIn(await answer(late))),
    'passkey_challenge_expired',
    'after 5 minutes',
  );

  // A look-alike site on another origin: the browser signs for it, mailcode refuses it.
  const lookAlikePort = await freePort();
  await examplePortal(t, { url, clientId: client.id, apiKey, port: lookAlikePort });
  const lookAlike = await context.newPage();
  const lookAlikeCdp = await context.newCDPSession(lookAlike);
  const lookAlikeAuthenticator = await virtualAuthenticator(lookAlikeCdp);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  await lookAlikeCdp.send('WebAuthn.addCredential', {
    authenticatorId: lookAlikeAuthenticator,
    credential: credentials[0]!,
  });
  await lookAlike.goto(`http://localhost:${lookAlikePort}/login`);
  await lookAlike.waitForURL(`http://localhost:${lookAlikePort}/login/passkey`);
  t.match(await bodyText(lookAlike), /That passkey did not sign you in/, 'the look-alike gets nothing');
  const [refusedOrigin] = (await app.mailcode.events.search({ clientId: client.id, types: ['passkey.used'] })).events;
  t.equal(refusedOrigin!.id, (await events('passkey.used'))[0]!.id, 'no sign-in from it');
  await lookAlike.close();

  // A counter set back (a cloned key): recorded and shown, the sign-in goes through.
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credentials[0]!.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credentials[0]!, signCount: 0 } });
  await context.clearCookies({ name: 'sid' });
  await page.goto(`${portalUrl}/login`);
  await page.waitForURL(`${portalUrl}/login/passkey`);
  t.match(await bodyText(page), /Signed in as pat@acme\.example/, 'not a lockout');
  t.equal((await events('passkey.counter_went_back')).length, 1, 'recorded');
  t.ok((await portal.listPasskeys(userRef))[0]!.counterWentBackAt, 'and shown');

  // Removed on Account → Security: the notice arrives, the passkey signs no one in.
  await page.goto(`${portalUrl}/security`);
  await page.getByRole('button', { name: 'Remove Work laptop' }).click();
  await page.getByText('Passkey removed: it no longer signs you in.').waitFor();
  await waitFor(
    'the removal notice',
    async () =>
      (await mailbox.searchMessages({ query: 'to:pat@acme.example subject:"A passkey was removed"' })).messages_count >
      0,
  );
  await context.clearCookies({ name: 'sid' });
  await page.goto(`${portalUrl}/login`);
  await page.waitForURL(`${portalUrl}/login/passkey`);
  t.match(await bodyText(page), /That passkey did not sign you in/, 'a removed passkey signs no one in');
});

await close();
