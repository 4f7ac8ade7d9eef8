// Which errors are a dependency away (a 503 and a retry) and which are mailcode's own bug
// (a 500, logged whole): the drivers' shapes, as they really come, through drizzle's wrapping.
import t from 'tap';
import { outageOf, throttledOutageLog } from '../../src/shared/outage.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

t.test('PostgreSQL restarting, shut down, unreachable or out of space is an outage of the database', async (t) => {
  for (const [what, error] of [
    ['shutting down (57P01 admin_shutdown)', withCode('terminating connection due to administrator command', '57P01')],
    ['starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['a connection exception (08006)', withCode('connection failure', '08006')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['disk full (53100)', withCode('could not extend file', '53100')],
    ['nobody listening', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ["pg's own words", new Error('Connection terminated unexpectedly')],
    ['no connection in time', new Error('timeout exceeded when trying to connect')],
  ] as const) {
    t.equal(outageOf(error)?.dependency, 'database', what);
  }
});

t.test("drizzle's wrapping is looked through", async (t) => {
  const wrapped = Object.assign(new Error('Failed query: select 1'), {
    cause: withCode('the database system is shutting down', '57P03'),
  });
  t.equal(outageOf(wrapped)?.dependency, 'database');
  t.match(outageOf(wrapped)?.reason, /57P03: the database system is shutting down/);
});

t.test('SQLite on a full disk, an I/O error or a lock held too long is an outage of the database', async (t) => {
  for (const code of ['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_BUSY', 'SQLITE_READONLY'])
    t.equal(outageOf(withCode('database or disk is full', code))?.dependency, 'database', code);
});

t.test('Redis away is an outage of Redis', async (t) => {
  const maxRetries = Object.assign(
    new Error(
      'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
    ),
    { name: 'MaxRetriesPerRequestError' },
  );
  t.equal(outageOf(maxRetries)?.dependency, 'redis');
  t.equal(outageOf(new Error("Stream isn't writeable and enableOfflineQueue options is false"))?.dependency, 'redis');
  t.equal(outageOf(new Error('Connection is closed.'))?.dependency, 'redis');
});

t.test("mailcode's own errors are not outages", async (t) => {
  for (const error of [
    new TypeError("Cannot read properties of undefined (reading 'id')"),
    withCode('duplicate key value violates unique constraint', '23505'),
    withCode('syntax error', '42601'),
    withCode('constraint failed', 'SQLITE_CONSTRAINT_UNIQUE'),
    'a string',
    undefined,
    null,
  ]) {
    t.equal(outageOf(error), undefined, String(error instanceof Error ? error.message : error));
  }
  // A cycle of causes ends.
  const a: Error & { cause?: unknown } = new Error('a');
  a.cause = a;
  t.equal(outageOf(a), undefined);
});

t.test('requests refused for an outage are logged once per interval, with how many', async (t) => {
  let time = 0;
  const lines: object[] = [];
  const log = { warn: (fields: object) => void lines.push(fields) };
  const throttled = throttledOutageLog(10_000, () => time);
  const outage = { dependency: 'database' as const, reason: 'ECONNREFUSED' };
  for (let i = 0; i < 500; i++) {
    throttled.refused(log, outage);
    time += 50;
  }
  t.equal(lines.length, 3, '25 seconds of refusals: three lines');
  t.match(lines[1], { refused: 200 }, 'each says how many since the last');
});
