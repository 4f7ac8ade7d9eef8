// PostgreSQL restarted, then Redis restarted, under a steady stream of sends and verifies,
// with a mailcode process on a PostgreSQL and a Redis of the test's own (real drivers, real
// servers, `pg_ctl stop -m fast` as a managed database's restart does it). The process lives
// through both; no answer is a 500; every 503 says when to come back; /readyz follows; sends
// are accepted again within seconds of the return; every accepted mail arrives, once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { unthrottled } from '../helpers/build.js';
import { requireBuild, runCli, startMailcode, waitFor } from '../helpers/processes.js';
import { loopbackSmtpServer } from '../helpers/scripted-smtp.js';
import { ownPostgres, ownRedis, ownServicesAbsent } from '../helpers/own-services.js';
import { steadyLoad, tally, type Answer } from '../helpers/steady-load.js';
import { sql } from 'drizzle-orm';
import { openPostgres } from '../../src/store/postgres/open.js';
import { outageOf } from '../../src/shared/outage.js';

const absent = ownServicesAbsent();
if (absent && process.env.CI === 'true') throw new Error(absent);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test(
  'a connection checked out between two statements of a transaction when PostgreSQL stops: the transaction fails, as an outage, and nothing is thrown past it',
  { skip: absent ?? false },
  async (t) => {
    const postgres = await ownPostgres(t);
    const db = openPostgres(postgres.url, 2);
    t.teardown(() => db.$client.end().catch(() => {}));
    let uncaught: unknown;
    const onUncaught = (error: unknown) => (uncaught = error);
    // tap fails a file on an uncaught exception; this listener sees it first, to say which.
    process.on('uncaughtException', onUncaught);
    t.teardown(() => void process.off('uncaughtException', onUncaught));
    const failed = await db
      .transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        // The server ends every session (FATAL 57P01) while this one waits between statements.
        await postgres.stop();
        await sleep(200);
        await tx.execute(sql`select 2`);
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    t.ok(failed, 'the transaction failed');
    t.ok(outageOf(failed), `read as an outage: ${JSON.stringify(outageOf(failed))}`);
    t.equal(uncaught, undefined, 'no uncaught exception (the connection had a listener of its own)');
    await postgres.start();
    t.same((await db.execute(sql`select 3 as n`)).rows, [{ n: 3 }], 'the pool serves again once PostgreSQL is back');
  },
);

t.test('a PostgreSQL restart and a Redis restart under load', { skip: absent ?? false }, async (t) => {
  if (!requireBuild(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-outage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [postgres, redis] = await Promise.all([ownPostgres(t), ownRedis(t)]);
  const arrivals = new Map<string, number>();
  const smtpPort = await loopbackSmtpServer(t, {
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        for (const { address } of session.envelope.rcptTo) arrivals.set(address, (arrivals.get(address) ?? 0) + 1);
        callback();
      });
    },
  });
  const env = {
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    CODE_SECRET: 'outage-secret-0123456789abcdef0123456789abcdef',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
    LOG_LEVEL: 'warn',
    ...unthrottled,
  };
  const created = runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env);
  t.equal(created.status, 0, created.stderr);
  const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
  const mailcode = await startMailcode(t, env);
  const ready = async () => (await fetch(`${mailcode.url}/readyz`).catch(() => undefined))?.status;
  const alive = () => mailcode.process.exitCode === null && mailcode.process.signalCode === null;

  const load = steadyLoad(mailcode.url, apiKey);
  t.teardown(() => load.stop());
  /** The first send answered 202 after `since`: how long service took to come back. */
  const backAfter = async (since: number) => {
    await waitFor(
      'a send accepted again',
      async () => load.answers.some((a) => a.route === 'send' && a.status === 202 && a.at > since),
      30_000,
    );
    return load.answers.find((a) => a.route === 'send' && a.status === 202 && a.at > since)!.at - since;
  };
  const during = (from: number, to: number) => load.answers.filter((a) => a.at >= from && a.at <= to);

  await sleep(1_500);
  t.ok(load.accepted.length > 0, `sends accepted before the outage: ${load.accepted.length}`);

  // PostgreSQL away for 5 seconds.
  const pgDown = Date.now();
  await postgres.stop();
  await waitFor('/readyz to say not ready', async () => (await ready()) === 503, 10_000);
  t.pass('/readyz: 503 while PostgreSQL is away');
  await sleep(5_000);
  t.ok(alive(), 'the process lives through PostgreSQL going away');
  const pgUp = Date.now();
  await postgres.start();
  const pgBack = await backAfter(pgUp);
  t.ok(pgBack < 10_000, `sends accepted again ${pgBack} ms after PostgreSQL was back`);
  await waitFor('/readyz to say ready', async () => (await ready()) === 200, 10_000);
  const pgOutage = during(pgDown, pgUp);
  t.ok(
    pgOutage.some((a) => a.status === 503),
    `answers during the outage: ${JSON.stringify(tally(pgOutage))}`,
  );

  // Redis away for 5 seconds: sends need its counters (503), verifies do not.
  await sleep(1_000);
  const redisDown = Date.now();
  await redis.stop();
  await waitFor('/readyz to say not ready', async () => (await ready()) === 503, 10_000);
  await sleep(5_000);
  t.ok(alive(), 'the process lives through Redis going away');
  const redisOutage = during(redisDown + 500, Date.now());
  const redisUp = Date.now();
  await redis.start();
  const redisBack = await backAfter(redisUp);
  t.ok(redisBack < 10_000, `sends accepted again ${redisBack} ms after Redis was back`);
  await waitFor('/readyz to say ready', async () => (await ready()) === 200, 10_000);
  t.same(
    tally(redisOutage.filter((a) => a.route === 'send' && a.status !== 202 && a.status !== 503)),
    {},
    `sends while Redis is away: 503 (${JSON.stringify(tally(redisOutage))})`,
  );
  t.ok(
    redisOutage.some((a) => a.route === 'verify' && (a.status === 422 || a.status === 429)),
    'verifies go on without Redis',
  );

  await sleep(1_000);
  await load.stop();
  const all: Answer[] = load.answers;
  t.ok(alive(), 'alive at the end');
  t.same(
    all
      .filter((a) => a.status === 0 || (a.status >= 500 && a.status !== 503))
      .map((a) => `${a.route} ${a.status} ${a.code}`),
    [],
    `no 500 and no refused connection in ${all.length} answers: ${JSON.stringify(tally(all))}`,
  );
  const without = all.filter((a) => a.status === 503 && !(Number(a.retryAfter) >= 1));
  t.equal(without.length, 0, `every 503 has Retry-After (${all.filter((a) => a.status === 503).length} of them)`);
  t.ok(
    all.filter((a) => a.status === 503).every((a) => a.code === 'service_unavailable'),
    'each 503 is service_unavailable',
  );

  // Every mail answered 202 arrives, once.
  await waitFor('every accepted mail', async () => load.accepted.every((email) => arrivals.has(email)), 60_000).catch(
    () => {},
  );
  const missing = load.accepted.filter((email) => !arrivals.has(email));
  const twice = [...arrivals].filter(([, n]) => n > 1).map(([email]) => email);
  t.same(missing, [], `all ${load.accepted.length} accepted mails arrived`);
  t.same(twice, [], 'none arrived twice');
  t.notMatch(mailcode.output(), /"level":50[^\n]*request failed/, 'no request failed with a 500 in the log');
});
