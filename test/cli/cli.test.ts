import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tap from 'tap';

import { onPostgres, processDatabaseEnv } from '../helpers/databases.js';
import { requireBuild, runCli, startMailcode, waitFor } from '../helpers/processes.js';
import { mailcode } from '../helpers/cli-in-process.js';
import { onEachDatabase } from '../helpers/databases.js';

// Every step here starts a real `mailcode` process (about 0.4 s each, twice over for the two
// databases): the file takes longer than the suite's per-file limit on a loaded machine.
tap.setTimeout(300_000);

await onEachDatabase(async (t) => {
  t.test('mailcode clients create / list / revoke, keys rotate, migrate, purge', async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const env = { ...(await processDatabaseEnv(t, dir)), MAIL_DIR: join(dir, 'mail'), LOG_LEVEL: 'warn' };

    t.equal((await mailcode(['migrate'], env)).status, 0);

    const human = await mailcode(
      ['clients', 'create', '--name', 'Acme Portal', '--domain', 'Acme.example', '--domain', 'MÜNCHEN.example'],
      env,
    );
    t.equal(human.status, 0, human.stderr);
    t.match(human.stdout, /API key \(shown once, store it now\): mc_[A-Za-z0-9_-]{43}/);
    t.match(human.stdout, /allowed domains: acme\.example, xn--mnchen-3ya\.example/);

    const json = await mailcode(['clients', 'create', '--name', 'Initech', '--json'], env);
    const created = JSON.parse(json.stdout);
    t.match(created, { clientId: /^cl_/, apiKey: /^mc_/, name: 'Initech', allowedDomains: [] });

    const list = await mailcode(['clients', 'list'], env);
    t.match(list.stdout, /Acme Portal\tacme\.example,xn--mnchen-3ya\.example\tactive/);
    t.notOk(list.stdout.includes(created.apiKey), 'list never shows keys');
    const open = await mailcode(['clients', 'create', '--name', 'Open Portal', '--json'], env);
    t.match(
      (await mailcode(['clients', 'list'], env)).stdout,
      /Open Portal\tany company domain \(consumer and disposable mail refused\)\tactive/,
      'no domain list: says what it accepts',
    );
    t.equal(open.status, 0);
    t.notMatch((await mailcode(['clients', 'list', '--json'], env)).stdout, /apiKey|mc_/);

    const server = await startMailcode(t, env);
    const headers = { authorization: `Bearer ${created.apiKey}`, 'content-type': 'application/json' };
    const before = await fetch(`${server.url}/verifications/vf_none`, { headers });
    t.equal(before.status, 404, 'the key works');
    t.equal((await mailcode(['clients', 'revoke', created.clientId], env)).status, 0);
    const after = await fetch(`${server.url}/verifications/vf_none`, { headers });
    t.equal(after.status, 401, 'revocation takes effect at once on a running server');
    const again = await mailcode(['clients', 'revoke', created.clientId], env);
    t.equal(again.status, 1, 'revoking twice says so');
    t.equal(again.stderr, `mailcode: no active client ${created.clientId}\n`);

    const jwksBefore = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    const rotated = await mailcode(['keys', 'rotate'], env);
    t.match(rotated.stdout, /^new signing key [A-Za-z0-9_-]{43}/);
    t.equal(jwksBefore.keys.length, 1);

    const purge = await mailcode(['purge'], env);
    t.equal(purge.status, 0);
    t.match(JSON.parse(purge.stdout), { verifications: 0, sendEvents: 0, signingKeys: 0, suppressions: 0 });
    // Last: a CLI step outlasts the server's keep-alive, and a fetch after it may meet a closing socket.
    const trail = (await mailcode(['events', 'tail', '--json'], env)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.clientId === created.clientId);
    t.same(
      trail.map((e) => e.type),
      ['client.created', 'client.revoked'],
      'a revoke is an event, written once',
    );
    t.match(trail[1], { subject: created.clientId, actor: 'cli', maskedEmail: null });
    await server.stop();
  });

  t.test(
    'mailcode clients rotate-key, events tail, suppressions list / lift: the operator sees and changes what the portal sees',
    async (t) => {
      if (!requireBuild(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const env = { ...(await processDatabaseEnv(t, dir)), MAIL_DIR: join(dir, 'mail'), LOG_LEVEL: 'warn' };
      const created = JSON.parse(
        (
          await mailcode(
            ['clients', 'create', '--name', 'Acme', '--domain', 'acme.example', '--suppression-hours', '48', '--json'],
            env,
          )
        ).stdout,
      );
      t.match(created, { suppressionHours: 48 });
      t.equal(
        (await mailcode(['clients', 'create', '--name', 'X', '--suppression-hours', '0'], env)).status,
        2,
        'hours are checked',
      );

      const server = await startMailcode(t, env);
      const send = (apiKey: string) =>
        fetch(`${server.url}/send-code`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': 'application/json',
            'x-request-id': 'req-cli-1',
          },
          body: JSON.stringify({ email: 'ann@acme.example' }),
        });
      t.equal((await send(created.apiKey)).status, 202);
      // The mail goes out first, so the trail's order below does not depend on the worker.
      await waitFor('the mail to be sent', async () =>
        (await mailcode(['events', 'tail', '--json'], env)).stdout.includes('"mail.sent"'),
      );

      const rotated = await mailcode(['clients', 'rotate-key', created.clientId, '--json'], env);
      t.equal(rotated.status, 0, rotated.stderr);
      const { apiKey } = JSON.parse(rotated.stdout);
      t.not(apiKey, created.apiKey);
      t.equal((await send(created.apiKey)).status, 401, 'the old key stops working at once');
      t.equal((await send(apiKey)).status, 429, 'the new key works (this resend is inside the cooldown)');
      t.equal((await mailcode(['clients', 'rotate-key', 'cl_nobody'], env)).status, 1);

      const tail = await mailcode(['events', 'tail', '--json'], env);
      t.equal(tail.status, 0, tail.stderr);
      const events = tail.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e) => e.type !== 'mail.sent');
      t.same(
        events.map((e) => e.type),
        ['client.created', 'verification.created', 'client.key_rotated'],
        'oldest first',
      );
      t.match(events[0], {
        clientId: created.clientId,
        subject: created.clientId,
        actor: 'cli',
        data: { name: 'Acme', allowedDomains: ['acme.example'] },
      });
      t.match(events[1], {
        clientId: created.clientId,
        maskedEmail: 'a***@acme.example',
        requestId: 'req-cli-1',
        actor: 'portal',
      });
      t.match(events[2], { subject: created.clientId, actor: 'cli' });
      t.notMatch(tail.stdout, /mc_[A-Za-z0-9_-]{43}|ann@/, 'no key and no whole address in the trail');
      t.match(
        (await mailcode(['events', 'tail', '--limit', '1'], env)).stdout.trim().split('\n'),
        [/\tclient\.key_rotated\t/],
        'the newest one only',
      );

      t.equal((await mailcode(['suppressions', 'list', created.clientId], env)).stdout, '', 'nothing suppressed yet');
      const lift = await mailcode(['suppressions', 'lift', created.clientId, 'ann@acme.example'], env);
      t.equal(lift.status, 1);
      t.equal(lift.stderr, `mailcode: ann@acme.example is not suppressed for ${created.clientId}\n`);
      await server.stop();
    },
  );

  t.test('branding is set with clients create / update and checked at the command line', async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const env = { ...(await processDatabaseEnv(t, dir)), LOG_LEVEL: 'warn' };
    const created = JSON.parse(
      (
        await mailcode(
          [
            'clients',
            'create',
            '--name',
            'Acme',
            '--domain',
            'acme.example',
            '--from',
            'Acme <no-reply@acme.example>',
            '--support',
            'https://help.acme.example',
            '--locale',
            'de',
            '--json',
          ],
          env,
        )
      ).stdout,
    );
    t.match(created, {
      mailFrom: 'Acme <no-reply@acme.example>',
      support: 'https://help.acme.example',
      defaultLocale: 'de',
      codeInSubject: true,
    });
    const updated = await mailcode(
      [
        'clients',
        'update',
        created.clientId,
        '--accent',
        '#0A7D4F',
        '--reply-to',
        'help@acme.example',
        '--logo-url',
        'https://acme.example/logo.png',
        '--no-code-in-subject',
        '--name',
        'Acme Portal',
      ],
      env,
    );
    t.equal(updated.status, 0, updated.stderr);
    t.match(updated.stdout, /client cl_\S+ \(Acme Portal\)/);
    t.match(updated.stdout, /accent: #0a7d4f/);
    t.match(updated.stdout, /code in subject: no/);
    t.match(
      updated.stdout,
      /from: Acme <no-reply@acme\.example>, reply-to: help@acme\.example/,
      'options not given are kept',
    );
    const again = await mailcode(['clients', 'update', created.clientId, '--code-in-subject'], env);
    t.match(again.stdout, /code in subject: yes/);
    const updates = (await mailcode(['events', 'tail', '--json'], env)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'client.updated');
    t.same(
      updates.map((e) => e.data.changed),
      [['accentColor', 'codeInSubject', 'name', 'replyTo', 'logoUrl'].sort(), ['codeInSubject']],
      'each update is an event naming what changed, not the values',
    );
    const nobody = await mailcode(['clients', 'update', 'cl_nobody', '--name', 'X'], env);
    t.equal(nobody.status, 1);
    t.equal(nobody.stderr, 'mailcode: no client cl_nobody\n');
    for (const bad of [
      ['--accent', 'green'],
      ['--logo-url', 'http://insecure.example/logo.png'],
      ['--from', 'not an address'],
      ['--locale', 'tlh'],
      ['--support', 'call us'],
    ]) {
      const refused = await mailcode(['clients', 'update', created.clientId, ...bad], env);
      t.not(refused.status, 0, bad.join(' '));
      t.match(refused.stderr, /^mailcode: option/, bad.join(' '));
    }
    t.equal((await mailcode(['clients', 'update', 'cl_missing', '--name', 'X'], env)).status, 1);

    const out = join(dir, 'preview');
    const preview = await mailcode(['preview', '--client', created.clientId, '--locale', 'de-AT', '--out', out], env);
    t.equal(preview.status, 0, preview.stderr);
    t.same(
      preview.stdout
        .trim()
        .split('\n')
        .map((f) => f.slice(out.length + 1)),
      [
        'de-signup.html',
        'de-signup.txt',
        'de-login.html',
        'de-login.txt',
        'de-recovery.html',
        'de-recovery.txt',
        'de-authenticator-added.html',
        'de-authenticator-added.txt',
        'de-authenticator-removed.html',
        'de-authenticator-removed.txt',
        'de-recovery-code-used.html',
        'de-recovery-code-used.txt',
        'de-recovery-codes-renewed.html',
        'de-recovery-codes-renewed.txt',
        'de-recovery-started.html',
        'de-recovery-started.txt',
        'de-recovery-completed.html',
        'de-recovery-completed.txt',
        'de-recovery-canceled.html',
        'de-recovery-canceled.txt',
        'de-browser-trusted.html',
        'de-browser-trusted.txt',
        'de-passkey-added.html',
        'de-passkey-added.txt',
        'de-passkey-removed.html',
        'de-passkey-removed.txt',
      ],
    );
    t.match(
      readFileSync(join(out, 'de-recovery-started.txt'), 'utf8'),
      /^Subject: Jemand möchte die Authenticator-App aus Ihrem Konto bei .+ entfernen\n[\s\S]*Die App wird am 3\. März 2026 um 09:00 UTC entfernt\./,
      "the recovery's start, in German, with when the app goes",
    );
    t.match(
      readFileSync(join(out, 'de-passkey-removed.txt'), 'utf8'),
      /^Subject: Ein Passkey wurde aus Ihrem .+-Konto entfernt\n[\s\S]*Der Support von .+ hat am 2\. März 2026 um 09:00 UTC den Passkey “iCloud Keychain” aus Ihrem Konto entfernt\./,
      "a passkey's removal, in German",
    );
    t.match(
      readFileSync(join(out, 'de-authenticator-removed.txt'), 'utf8'),
      /^Subject: Ihre Authenticator-App wurde aus Ihrem Konto bei .+ entfernt\n/,
      'the notice, in German',
    );
    const all = await mailcode(['preview', '--out', join(dir, 'all')], env);
    t.equal(
      all.stdout.trim().split('\n').length,
      260,
      'ten locales × (three purposes and ten notices) × HTML and text',
    );
  });

  t.test(
    'mailcode operators create / list / disable / remove: roles checked, one per address, each change in the trail',
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const env = { ...(await processDatabaseEnv(t, dir)), MAIL_DIR: join(dir, 'mail'), LOG_LEVEL: 'warn' };
      const ann = await mailcode(
        ['operators', 'create', '--email', 'Ann@Acme.example', '--role', 'admin', '--json'],
        env,
      );
      t.equal(ann.status, 0, ann.stderr);
      const admin = JSON.parse(ann.stdout);
      t.match(admin, { id: /^op_/, email: 'ann@acme.example', role: 'admin', disabledAt: null });
      const sam = await mailcode(['operators', 'create', '--email', 'sam@acme.example', '--role', 'support'], env);
      t.match(sam.stdout, /^operator op_\S+ \(sam@acme\.example, support\)$/m);
      const twice = await mailcode(['operators', 'create', '--email', 'ann@acme.example', '--role', 'support'], env);
      t.same(
        [twice.status, twice.stderr],
        [1, 'mailcode: an operator with the address ann@acme.example exists already\n'],
      );
      const root = await mailcode(['operators', 'create', '--email', 'x@acme.example', '--role', 'root'], env);
      t.equal(root.status, 2, 'an unknown role is a usage error');
      t.match(root.stderr, /argument 'root' is invalid\. Allowed choices are admin, support/);
      t.equal(
        (await mailcode(['operators', 'create', '--email', 'x@acme.example'], env)).status,
        2,
        'the role is required',
      );
      t.equal((await mailcode(['operators', 'disable', admin.id], env)).status, 0);
      const listed = (await mailcode(['operators', 'list'], env)).stdout.trim().split('\n');
      t.match(listed, [
        new RegExp(`^${admin.id}\tann@acme.example\tadmin\tdisabled \\d{4}-`),
        /\tsam@acme\.example\tsupport\tactive$/,
      ]);
      t.equal((await mailcode(['operators', 'disable', admin.id], env)).status, 1, 'disabled once');
      t.equal((await mailcode(['operators', 'remove', admin.id], env)).status, 0);
      t.equal((await mailcode(['operators', 'remove', admin.id], env)).status, 1);
      const trail = (await mailcode(['events', 'tail', '--json'], env)).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      t.same(
        trail.map((e) => e.type),
        ['operator.created', 'operator.created', 'operator.disabled', 'operator.removed'],
      );
      t.notMatch(JSON.stringify(trail), /ann@acme/, 'masked in the trail');
    },
  );

  t.test(
    "clients update --smtp-url: the client's own relay, sealed, never printed back; --no-smtp-url returns to the server's",
    { skip: onPostgres && 'the relay store is covered on PostgreSQL by the store contract and the relay test' },
    async (t) => {
      if (!requireBuild(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const env = { ...(await processDatabaseEnv(t, dir)), MAIL_DIR: join(dir, 'mail'), LOG_LEVEL: 'warn' };
      const { clientId } = JSON.parse((await mailcode(['clients', 'create', '--name', 'Acme', '--json'], env)).stdout);
      const set = await mailcode(
        ['clients', 'update', clientId, '--smtp-url', 'smtps://acme-user:s3cret@smtp.acme.example:465'],
        env,
      );
      t.equal(set.status, 0, set.stderr);
      t.match(set.stdout, /mail leaves through: its own relay smtps:\/\/smtp\.acme\.example:465/);
      const shown = [
        set.stdout,
        (await mailcode(['clients', 'show', clientId, '--json'], env)).stdout,
        (await mailcode(['events', 'tail', '--json'], env)).stdout,
      ];
      t.match(shown[1], /"relay":"smtps:\/\/smtp\.acme\.example:465"/);
      t.match(shown[2], /"type":"client\.relay_set".*"relay":"smtps:\/\/smtp\.acme\.example:465"/);
      for (const out of shown) t.notMatch(out, /s3cret|acme-user/, 'never the credentials');
      const bad = await mailcode(['clients', 'update', clientId, '--smtp-url', 'http://smtp.acme.example'], env);
      t.equal(bad.status, 2);
      t.match(bad.stderr, /^mailcode: option '--smtp-url <url>' argument refused: http: is not smtp: or smtps:\n$/);
      const back = await mailcode(['clients', 'update', clientId, '--no-smtp-url'], env);
      t.equal(back.status, 0, back.stderr);
      t.match(back.stdout, /mail leaves through: the server's \(SMTP_URL\)/);
    },
  );

  t.test(
    'a bad configuration stops the CLI with one line naming the variable',
    { skip: onPostgres && 'no database involved' },
    async (t) => {
      if (!requireBuild(t)) return;
      const result = runCli(['migrate'], { PORT: 'eighty' });
      t.equal(result.status, 2);
      t.equal(
        result.stderr,
        'mailcode: configuration error: PORT: expected a TCP port number (0-65535), got "eighty"\n',
      );
    },
  );

  t.test('--help on every command', { skip: onPostgres && 'no database involved' }, async (t) => {
    if (!requireBuild(t)) return;
    for (const args of [
      ['--help'],
      ['serve', '--help'],
      ['clients', 'create', '--help'],
      ['keys', 'rotate', '--help'],
      ['purge', '--help'],
    ]) {
      const result = runCli(args, {});
      t.equal(result.status, 0, args.join(' '));
      t.match(result.stdout, /Usage: mailcode/);
    }
  });

  // Checked at the command line before any database is opened: once, on SQLite, is enough.
  t.test(
    'every command refuses a bad value with one line naming it and exit code 2',
    { skip: onPostgres && 'no database involved' },
    async (t) => {
      if (!requireBuild(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const env = { ...(await processDatabaseEnv(t, dir)), MAIL_DIR: join(dir, 'mail'), LOG_LEVEL: 'warn' };
      const created = JSON.parse(runCli(['clients', 'create', '--name', 'Acme', '--json'], env).stdout) as {
        clientId: string;
      };
      const cases: [args: string[], names: RegExp][] = [
        [['preview', '--locale', 'xx'], /--locale/],
        [['clients', 'update', created.clientId], /nothing to change/],
        [['clients', 'update', created.clientId, '--accent', 'red'], /--accent/],
        [['clients', 'update', created.clientId, '--logo-url', 'http://logo.example'], /--logo-url/],
        [['clients', 'update', created.clientId, '--recovery-wait-hours', '721'], /--recovery-wait-hours/],
        [['clients', 'update', created.clientId, '--recovery-wait-hours', '-1'], /--recovery-wait-hours/],
        [['clients', 'update', created.clientId, '--notices-off', 'recovery_started,nope'], /--notices-off/],
        [['clients', 'update', created.clientId, '--trusted-browser-days', '91'], /--trusted-browser-days/],
        [['clients', 'update', created.clientId, '--trusted-browser-days', '0'], /--trusted-browser-days/],
        [['clients', 'update', created.clientId, '--membership-days', '366'], /--membership-days/],
        [['clients', 'create'], /--name/],
        [['clients', 'create', '--name', ' '], /--name/],
        [['clients', 'create', '--name', 'Acme', '--domain', 'nodot'], /--domain/],
        [['clients', 'create', '--name', 'Acme', '--from', 'not an address'], /--from/],
        [['clients', 'create', '--name', 'Acme', '--support', 'ftp://x'], /--support/],
        [['clients', 'create', '--name', 'Acme', '--locale', 'zz'], /--locale/],
        [['clients', 'list', '--colour'], /--colour/],
        [['clients', 'revoke'], /'id'/],
        [['keys', 'rotate', 'now'], /too many arguments/],
        [['migrate', '--force'], /--force/],
        [['purge', '--all'], /--all/],
        [['serve', '--port', '1'], /--port/],
        [['nonsense'], /nonsense/],
      ];
      for (const [args, names] of cases) {
        const result = runCli(args, env);
        const label = `mailcode ${args.join(' ')}`;
        t.equal(result.status, 2, `${label}: exit code 2`);
        const lines = result.stderr.trim().split('\n');
        t.equal(lines.length, 1, `${label}: one line (${result.stderr.trim()})`);
        t.match(lines[0], names, `${label}: names what is wrong`);
        t.notMatch(result.stderr, /\n\s+at /, `${label}: no stack trace`);
      }
      const badConfig = runCli(['migrate'], { ...env, PORT: 'eighty' });
      t.equal(badConfig.status, 2, 'a bad configuration value: exit code 2');
      t.match(badConfig.stderr, /PORT/);
    },
  );
});
