// The whole product as a person meets it: a real mailcode process, a real Mailpit, the code
// read from the mail that arrived, the token checked against the published keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { MailpitClient } from 'mailpit-api';
import { requireBuild, runCli, startMailcode, startMailpit, waitFor } from '../helpers/processes.js';

t.test('send-code → mail in Mailpit → verify-code → token verified against the JWKS', async (t) => {
  if (!requireBuild(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mailpit = await startMailpit(t, dir);
  const env = {
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
    MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
    PUBLIC_URL: 'http://mailcode.e2e.test',
    LOG_LEVEL: 'info',
  };
  const created = runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env);
  t.equal(created.status, 0, created.stderr);
  const { clientId, apiKey } = JSON.parse(created.stdout) as { clientId: string; apiKey: string };
  const server = await startMailcode(t, env);
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

  const ready = await fetch(`${server.url}/readyz`);
  t.equal(ready.status, 200, 'ready: database and SMTP');

  const sent = await fetch(`${server.url}/send-code`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email: 'Dana@Acme.example', purpose: 'signup' }),
  });
  t.equal(sent.status, 202);
  const { verificationId } = (await sent.json()) as { verificationId: string };

  const mailbox = new MailpitClient(mailpit.apiUrl);
  const message = await mailbox.waitForMessage({ query: 'to:dana@acme.example' }, { timeout: 10_000, interval: 100 });
  t.equal(message.From.Address, 'no-reply@acme.example');
  t.match(message.Subject, /^\d{6} is your Acme Portal code$/);
  const code = /^\s+(\d{6})\s*$/m.exec(message.Text)?.[1];
  t.ok(code, 'the plain-text part carries the code on its own line');
  t.match(message.Text, /expires in 10 minutes/);
  t.match(message.HTML, /Acme Portal/);
  const headersOfMail = await mailbox.getMessageHeaders(message.ID);
  t.same(headersOfMail['Auto-Submitted'], ['auto-generated']);

  const verified = await fetch(`${server.url}/verify-code`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ verificationId, code }),
  });
  t.equal(verified.status, 200);
  const { assertion } = (await verified.json()) as { assertion: string };

  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(assertion, jwks, {
    issuer: 'http://mailcode.e2e.test',
    audience: clientId,
    typ: 'verification+jwt',
  });
  t.match(payload, {
    sub: 'dana@acme.example',
    email_verified: true,
    purpose: 'signup',
    amr: ['otp'],
    verification_method: 'email',
    jti: verificationId,
  });

  const state = await fetch(`${server.url}/verifications/${verificationId}`, { headers });
  t.match(await state.json(), { status: 'verified', delivery: 'sent' });

  await server.stop('SIGTERM');
  t.equal(server.process.exitCode, 0, 'SIGTERM shuts down cleanly');
  t.notMatch(
    server.output(),
    new RegExp(`(?<![A-Za-z0-9_-])${code}(?![A-Za-z0-9_-])`),
    'the code is not in the server log',
  );
  t.notOk(server.output().includes(apiKey), 'the API key is not in the server log');
});

t.test('a crash right after the 202 loses no mail: after restart exactly one copy arrives', async (t) => {
  if (!requireBuild(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mailpit = await startMailpit(t, dir, ['--enable-chaos']);
  const mailbox = new MailpitClient(mailpit.apiUrl);
  const env = {
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
    LOG_LEVEL: 'warn',
  };
  const { apiKey } = JSON.parse(
    runCli(['clients', 'create', '--name', 'Acme', '--domain', 'acme.example', '--json'], env).stdout,
  );
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

  // Mailpit refuses every mail, so the mail is still queued when the process dies.
  await mailbox.setChaosTriggers({ Sender: { ErrorCode: 451, Probability: 100 } });
  const first = await startMailcode(t, env);
  const sent = await fetch(`${first.url}/send-code`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email: 'erin@acme.example' }),
  });
  t.equal(sent.status, 202);
  // Wait for the first refusal, so the kill lands while the mail is mid-retry.
  const { verificationId } = (await sent.json()) as { verificationId: string };
  await waitFor(
    'a refused delivery',
    async () =>
      (
        (await (await fetch(`${first.url}/verifications/${verificationId}`, { headers })).json()) as {
          deliveryAttempts: number;
        }
      ).deliveryAttempts > 0,
  );
  await first.stop('SIGKILL');
  await mailbox.setChaosTriggers({ Sender: { ErrorCode: 451, Probability: 0 } });

  const second = await startMailcode(t, env);
  const message = await mailbox.waitForMessage({ query: 'to:erin@acme.example' }, { timeout: 20_000, interval: 200 });
  t.ok(message.ID, 'the mail arrived after the restart');
  await new Promise((r) => setTimeout(r, 500));
  const all = await mailbox.searchMessages({ query: 'to:erin@acme.example' });
  t.equal(all.messages_count, 1, 'exactly one copy');
  await second.stop();
});
