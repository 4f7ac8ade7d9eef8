// `mailcode clients dkim …` and `clients dns [--check]` as an operator runs them: keys made,
// listed (never the private half), rotated and retired; the records the client's mail needs,
// checked against a DNS server on loopback that the test controls, record by record.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tap from 'tap';
import { onEachDatabase, onPostgres, processDatabaseEnv } from '../helpers/databases.js';
import { Zone } from '../helpers/dns.js';
import { requireBuild } from '../helpers/processes.js';
import { mailcode } from '../helpers/cli-in-process.js';

/** Every call lets this process answer DNS meanwhile (the zone's server runs here). */
const runCli = mailcode;

tap.setTimeout(300_000);

/** "TYPE name" → value, of the TXT and MX lines `clients dns` prints. */
const recordsIn = (stdout: string) =>
  new Map(
    stdout
      .split('\n')
      .filter((line) => /\t(TXT|MX)\t/.test(line))
      .map((line) => {
        const [name, type, value] = line.split('\t') as [string, string, string];
        return [`${type} ${name}`, type === 'TXT' ? (JSON.parse(value) as string) : value];
      }),
  );

// The commands are the same on both databases; the DKIM store is held to one contract on
// both (test/store/contract.test.ts) and signing runs on both (test/mail/dkim-own-keys.test.ts).
const sqliteOnly = () => ({
  skip: onPostgres && 'the DKIM store is covered on PostgreSQL by the store contract and the signing test',
});

await onEachDatabase(async (t) => {
  t.test(
    'keys, records, and a check that names each record published, missing or different',
    sqliteOnly(),
    async (t) => {
      if (!requireBuild(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-dkim-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const zone = new Zone();
      const env = {
        ...(await processDatabaseEnv(t, dir)),
        MAIL_DIR: join(dir, 'mail'),
        LOG_LEVEL: 'warn',
        MAIL_SPF: 'include:_spf.relay.example',
        BOUNCE_DOMAIN: 'bounces.mailcode.example',
        PUBLIC_URL: 'https://mailcode.example',
        DNS_SERVERS: await zone.serve(t),
      };
      const { clientId } = JSON.parse(
        (await runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env))
          .stdout,
      );
      const from = await runCli(['clients', 'update', clientId, '--from', 'Acme Portal <no-reply@acme.example>'], env);
      t.equal(from.status, 0, from.stderr);
      t.match(
        from.stderr,
        /warning: mail from acme\.example is not DKIM-signed: NOT ALIGNED/,
        'a From no key aligns with is warned about',
      );

      const created = await runCli(['clients', 'dkim', 'create', clientId, '--selector', 'mc2026'], env);
      t.equal(created.status, 0, created.stderr);
      t.match(created.stdout, /^mc2026\._domainkey\.acme\.example\tTXT\t"v=DKIM1; k=rsa; p=MII[A-Za-z0-9+/=]+"/m);
      t.notMatch(created.stdout + created.stderr, /PRIVATE KEY/);
      t.match(
        (await runCli(['clients', 'show', clientId], env)).stdout,
        /signed for acme\.example \(its own key mc2026\), aligned with the From/,
      );
      t.match(
        (await runCli(['clients', 'list'], env)).stdout,
        new RegExp(`${clientId}\\tAcme Portal\\tacme\\.example\\tactive\\tsigned d=acme\\.example\\n`),
      );
      const listed = (await runCli(['clients', 'dkim', 'list', clientId, '--json'], env)).stdout;
      t.match(JSON.parse(listed), [{ clientId, domain: 'acme.example', selector: 'mc2026', retiredAt: null }]);
      t.notMatch(listed, /private|PRIVATE|sealed/i, 'never the private half');

      const lines = (await runCli(['clients', 'dns', clientId], env)).stdout;
      const records = recordsIn(lines);
      t.same(
        [...records.keys()].sort(),
        [
          'MX bounces.mailcode.example',
          'TXT _dmarc.acme.example',
          'TXT bounces.mailcode.example',
          'TXT mc2026._domainkey.acme.example',
        ],
        'DKIM, SPF, DMARC and the bounce MX',
      );
      t.match(
        lines,
        /^bounces\.mailcode\.example\tTXT\t"v=spf1 include:_spf\.relay\.example ~all"/m,
        'SPF on the envelope domain (VERP return paths are on BOUNCE_DOMAIN)',
      );
      t.match(lines, /^_dmarc\.acme\.example\tTXT\t"v=DMARC1; p=none; rua=mailto:dmarc-reports@acme\.example"/m);
      t.match(lines, /^bounces\.mailcode\.example\tMX\t10 mailcode\.example/m);

      // Nothing published yet: every record missing, exit 1.
      const none = await runCli(['clients', 'dns', clientId, '--check'], env);
      t.equal(none.status, 1);
      t.equal((none.stdout.match(/^missing/gm) ?? []).length, 4, none.stdout);

      // All published: exit 0.
      zone
        .set('TXT', 'mc2026._domainkey.acme.example', records.get('TXT mc2026._domainkey.acme.example')!)
        .set('TXT', 'bounces.mailcode.example', 'v=spf1 include:_spf.relay.example ~all')
        .set('TXT', '_dmarc.acme.example', 'v=DMARC1; p=reject; rua=mailto:d@acme.example')
        .set('MX', 'bounces.mailcode.example', 'mailcode.example');
      const all = await runCli(['clients', 'dns', clientId, '--check'], env);
      t.equal(all.status, 0, all.stdout + all.stderr);
      t.equal((all.stdout.match(/^published/gm) ?? []).length, 4, all.stdout);

      // A record changed, another removed: each named, exit 1.
      zone
        .set(
          'TXT',
          'mc2026._domainkey.acme.example',
          'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnotthekey',
        )
        .remove('TXT', '_dmarc.acme.example');
      const broken = await runCli(['clients', 'dns', clientId, '--check'], env);
      t.equal(broken.status, 1);
      t.match(broken.stdout, /^different\s+TXT\tmc2026\._domainkey\.acme\.example\twant "v=DKIM1; k=rsa; p=MII/m);
      t.match(broken.stdout, /^missing\s+TXT\t_dmarc\.acme\.example/m);
      t.match(broken.stdout, /^published\s+MX\tbounces\.mailcode\.example/m);

      // Rotation: the new key waits; the old cannot be retired until it signs.
      const rotated = await runCli(
        ['clients', 'dkim', 'rotate', clientId, '--selector', 'mc2027', '--after', '48'],
        env,
      );
      t.equal(rotated.status, 0, rotated.stderr);
      t.match(rotated.stdout, /key mc2027 for acme\.example signs from \d{4}-.*; mc2026 signs until then/);
      t.match(rotated.stdout, /Then: mailcode clients dkim retire cl_[\w-]+ mc2026/);
      const early = await runCli(['clients', 'dkim', 'retire', clientId, 'mc2026'], env);
      t.equal(early.status, 1);
      t.match(early.stderr, /mc2026 still signs for acme\.example: mc2027 signs from/);
      t.match(
        (await runCli(['clients', 'dns', clientId], env)).stdout,
        /^mc2027\._domainkey\.acme\.example\tTXT/m,
        'both records listed while both are needed',
      );
      t.equal(
        (await runCli(['clients', 'dkim', 'remove', clientId, 'mc2027'], env)).status,
        0,
        'a key can be removed outright',
      );
      const retired = await runCli(['clients', 'dkim', 'retire', clientId, 'mc2026'], env);
      t.equal(retired.status, 0, retired.stderr);
      t.match(
        retired.stdout,
        /key mc2026 for acme\.example retired; its record mc2026\._domainkey\.acme\.example may be removed/,
      );
    },
  );

  t.test('bad values get one line and exit 2; a refusal one line and exit 1', sqliteOnly(), async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-dkim-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const env = { ...(await processDatabaseEnv(t, dir)), MAIL_DIR: join(dir, 'mail'), LOG_LEVEL: 'warn' };
    const { clientId } = JSON.parse((await runCli(['clients', 'create', '--name', 'Acme', '--json'], env)).stdout);
    for (const [args, what] of [
      [['clients', 'dkim', 'create', clientId, '--domain', 'not a domain'], /--domain/],
      [
        ['clients', 'dkim', 'create', clientId, '--domain', 'acme.example', '--selector', 'Bad_Selector!'],
        /--selector.*DNS label/,
      ],
      [['clients', 'dkim', 'rotate', clientId, '--after', 'soon'], /--after.*whole hours/],
      [['clients', 'dkim', 'retire', clientId, 'Bad.Sel'], /selector.*DNS label/],
    ] as const) {
      const result = await runCli([...args], env);
      t.equal(result.status, 2, args.join(' '));
      t.match(result.stderr, what);
      t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    }
    // The service's refusals (test/clients/dkim-service.test.ts has them all) leave as one line, exit 1.
    const noFrom = await runCli(['clients', 'dkim', 'create', clientId], env);
    t.equal(noFrom.status, 1);
    t.equal(
      noFrom.stderr,
      `mailcode: ${clientId} has no sender of its own: set one (clients update --from) or name the domain (--domain)\n`,
    );
  });
});
