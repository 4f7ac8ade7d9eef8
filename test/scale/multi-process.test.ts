// Three real mailcode processes on one PostgreSQL database, one Redis and one Mailpit: what
// a portal gets when it runs mailcode behind a load balancer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { MailpitClient } from 'mailpit-api';
import { freshPostgresDatabase, redisTestUrl } from '../helpers/databases.js';
import { requireBuild, runCli, startMailcode, startMailpit, waitFor, type Mailcode } from '../helpers/processes.js';
import { onPostgresOnly } from '../helpers/databases.js';

await onPostgresOnly(async (t) => {
  t.test('three processes, one PostgreSQL, one Redis, one Mailpit', async (t) => {
    if (!requireBuild(t)) return;
    const cluster = await startCluster(t);
    await t.test('a code sent through A is verified through B, with a token C publishes the key of', (t) =>
      sentThroughAVerifiedThroughB(t, cluster),
    );
    await t.test('the per-address limit holds across all three', (t) => perAddressLimitAcrossProcesses(t, cluster));
    await t.test('500 codes sent across the three make exactly 500 mails', (t) => fiveHundredCodes(t, cluster));
    await t.test('a process killed with SIGKILL mid-delivery loses no mail', (t) => killedMidDelivery(t, cluster));
  });

  interface Cluster {
    processes: Mailcode[];
    mailbox: MailpitClient;
    headers: Record<string, string>;
  }

  async function startCluster(t: Test): Promise<Cluster> {
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-scale-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const mailpit = await startMailpit(t, dir, ['--max', '0']);
    const env = {
      DATABASE_URL: await freshPostgresDatabase(t),
      REDIS_URL: redisTestUrl,
      REDIS_KEY_PREFIX: `mailcode-scale:${Date.now()}:`,
      SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
      MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
      PUBLIC_URL: 'http://mailcode.scale.test',
      CODE_SECRET: 'scale-secret-0123456789abcdef0123456789abcdef',
      LOG_LEVEL: 'warn',
      CLIENT_REQUESTS_PER_SECOND: '100000',
      DOMAIN_MAILS_PER_HOUR: '100000',
      // A dead process's claimed mail is free for the others after this long (renewed every
      // third of it while a delivery runs; short, so the test need not wait long).
      MAIL_LEASE_SECONDS: '4',
      // Resends at once, so only the per-address hourly limit (5) can refuse a send.
      RESEND_COOLDOWN_SECONDS: '0',
    };
    const created = runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env);
    t.equal(created.status, 0, created.stderr);
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
    const processes = await Promise.all([0, 1, 2].map(() => startMailcode(t, env)));
    return {
      processes,
      mailbox: new MailpitClient(mailpit.apiUrl),
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    };
  }

  async function post(cluster: Cluster, process: Mailcode, path: string, body: unknown) {
    const response = await fetch(`${process.url}${path}`, {
      method: 'POST',
      headers: cluster.headers,
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Every message Mailpit holds, newest first (Mailpit pages its list). */
  async function allMessages(mailbox: MailpitClient) {
    const messages: { MessageID: string; To: { Address: string }[] }[] = [];
    for (let start = 0; start < 100_000; start += 500) {
      const page = await mailbox.listMessages(start, 500);
      messages.push(...page.messages);
      if (messages.length >= page.total) break;
    }
    return messages;
  }

  async function codeFromMailpit(mailbox: MailpitClient, email: string): Promise<string> {
    const message = await mailbox.waitForMessage({ query: `to:${email}` }, { timeout: 10_000, interval: 100 });
    return /^\s+(\d{6})\s*$/m.exec(message.Text)![1]!;
  }

  async function sentThroughAVerifiedThroughB(t: Test, cluster: Cluster) {
    const [a, b, c] = cluster.processes as [Mailcode, Mailcode, Mailcode];
    const sent = await post(cluster, a, '/send-code', { email: 'dana@acme.example' });
    t.equal(sent.status, 202);
    const code = await codeFromMailpit(cluster.mailbox, 'dana@acme.example');
    const verified = await post(cluster, b, '/verify-code', { verificationId: sent.body.verificationId, code });
    t.equal(verified.status, 200, 'B verifies what A sent');
    const again = await post(cluster, c, '/verify-code', { verificationId: sent.body.verificationId, code });
    t.equal(again.status, 409, 'and the code is used up for C too');
    const jwks = createRemoteJWKSet(new URL(`${c.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(String(verified.body.assertion), jwks, {
      issuer: 'http://mailcode.scale.test',
    });
    t.equal(payload.email, 'dana@acme.example', "B's token checks out against C's JWKS: the keys live in the database");
  }

  async function perAddressLimitAcrossProcesses(t: Test, cluster: Cluster) {
    // The default (docs/LIMITS.md): 5 mails per address per hour. Twelve sends at once, four through each process.
    const attempts = Array.from({ length: 12 }, (_, i) =>
      post(cluster, cluster.processes[i % 3]!, '/send-code', { email: 'erin@acme.example' }),
    );
    const responses = await Promise.all(attempts);
    t.equal(responses.filter((r) => r.status === 202).length, 5, 'exactly five accepted');
    const refused = responses.filter((r) => r.status === 429);
    t.equal(refused.length, 7, 'seven refused');
    // Refused by the hourly limit, or (when a process's clock is a millisecond behind the one
    // that just sent) by the resend cooldown: either way by a limit on this address.
    const perAddress = /sent to this address in the last hour|sent to this address moments ago/;
    t.ok(
      refused.every((r) => perAddress.test(String(r.body.detail))),
      'by the per-address limits',
    );
    t.ok(
      refused.some((r) => /in the last hour/.test(String(r.body.detail))),
      'the hourly limit among them',
    );
    const later = await Promise.all(
      cluster.processes.map((p) => post(cluster, p, '/send-code', { email: 'erin@acme.example' })),
    );
    t.same(
      later.map((r) => r.status),
      [429, 429, 429],
      'every process refuses more',
    );
    // Each accepted send is a mail (a resend joins the verification with a code of its own).
    const toErin = async () =>
      (await allMessages(cluster.mailbox)).filter((m) => m.To[0]?.Address === 'erin@acme.example').length;
    await waitFor('a mail for each accepted send', async () => (await toErin()) >= 5, 30_000);
    t.equal(await toErin(), 5, 'five mails to the address, one per accepted send');
  }

  async function sendMany(cluster: Cluster, emails: string[], through: (i: number) => Mailcode, atOnce = 25) {
    const statuses: number[] = [];
    // A bounded number of requests at a time: a portal's burst, not an unbounded flood.
    for (let i = 0; i < emails.length; i += atOnce) {
      const batch = emails
        .slice(i, i + atOnce)
        .map((email, j) => post(cluster, through(i + j), '/send-code', { email }));
      statuses.push(...(await Promise.all(batch)).map((r) => r.status));
    }
    return statuses;
  }

  async function fiveHundredCodes(t: Test, cluster: Cluster) {
    await cluster.mailbox.deleteMessages();
    const emails = Array.from({ length: 500 }, (_, i) => `user${i}@acme.example`);
    const statuses = await sendMany(cluster, emails, (i) => cluster.processes[i % 3]!);
    t.equal(statuses.filter((s) => s === 202).length, 500, 'all 500 accepted');
    await waitFor('500 mails in Mailpit', async () => (await cluster.mailbox.listMessages(0, 1)).total >= 500, 60_000);
    // Give a wrongly doubled delivery the time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const messages = await allMessages(cluster.mailbox);
    t.equal(messages.length, 500, 'exactly 500 mails');
    t.equal(new Set(messages.map((m) => m.To[0]!.Address)).size, 500, 'one to each address');
  }

  async function killedMidDelivery(t: Test, cluster: Cluster) {
    await cluster.mailbox.deleteMessages();
    const [a, b, victim] = cluster.processes as [Mailcode, Mailcode, Mailcode];
    const emails = Array.from({ length: 300 }, (_, i) => `late${i}@acme.example`);
    // Everything goes through the victim in one burst: its worker, nudged by each send, claims
    // the mail as it is queued, and is killed while it is still delivering.
    const statuses = await sendMany(cluster, emails, () => victim, 300);
    await victim.stop('SIGKILL');
    t.equal(statuses.filter((s) => s === 202).length, 300, 'all 300 accepted');
    // How far delivery had got is up to the machine's speed; test/mail/crash-recovery holds
    // the takeover itself with an SMTP server slow enough to be caught mid-delivery.
    const deliveredBeforeKill = new Set((await allMessages(cluster.mailbox)).map((m) => m.MessageID)).size;

    // A and B take over the victim's claimed mail once its lease (4 s) has run out.
    await waitFor(
      'every code delivered',
      async () => new Set((await allMessages(cluster.mailbox)).map((m) => m.MessageID)).size >= 300,
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const messages = await allMessages(cluster.mailbox);
    const byId = new Map<string, number>();
    for (const m of messages) byId.set(m.MessageID, (byId.get(m.MessageID) ?? 0) + 1);
    t.equal(new Set(messages.map((m) => m.To[0]!.Address)).size, 300, 'no mail lost: every address got its code');
    t.equal(byId.size, 300, 'one message per code: no code was mailed as two different messages');
    const repeats = messages.length - byId.size;
    // Only a mail the SMTP server accepted in the instant before the kill, but whose
    // delivery the victim had not yet recorded, can go out again; it goes out as the same
    // message (same Message-ID), which mail systems show once.
    t.ok(repeats <= 64, `${repeats} repeated with the same Message-ID (at most the deliveries in flight at the kill)`);
    t.comment(`distinct mails delivered before the kill: ${deliveredBeforeKill} of 300; repeats: ${repeats}`);
    // The two survivors are still serving.
    for (const p of [a, b]) t.equal((await fetch(`${p.url}/readyz`)).status, 200);
  }
});
