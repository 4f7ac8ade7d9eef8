// With REDIS_URL the shared limit counters live in Redis, so readiness includes it.

import { build } from '../helpers/build.js';
import { freePort } from '../helpers/processes.js';
import { onPostgresOnly } from '../helpers/databases.js';

await onPostgresOnly(async (t) => {
  t.test('/readyz reports Redis beside the database', async (t) => {
    const { app } = await build(t);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    t.equal(ready.statusCode, 200);
    t.same(ready.json(), { status: 'ready', database: 'ok', redis: 'ok', mail: 'smtp' });
  });

  t.test('/readyz is 503 while Redis is unreachable, and the counters are not silently skipped', async (t) => {
    const nobody = await freePort();
    const { app, createClient, logs } = await build(t, { env: { REDIS_URL: `redis://127.0.0.1:${nobody}` } });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    t.equal(ready.statusCode, 503);
    t.equal(ready.json().detail, 'Redis is not reachable.');
    const acme = await createClient();
    const send = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'a@acme.example' },
    });
    t.equal(send.statusCode, 503, 'no send goes out unchecked by the shared limits: 503, not 500');
    t.match(send.json(), { code: 'service_unavailable', retryAfter: 5 });
    t.equal(send.headers['retry-after'], '5');
    const verify = await app.inject({
      method: 'POST',
      url: '/verify-code',
      headers: acme.auth,
      payload: { email: 'a@acme.example', purpose: 'login', code: '123456' },
    });
    t.equal(verify.statusCode, 404, 'a verify needs no Redis: answered as ever');
    t.equal(
      logs.lines.filter((line) => line.includes('Redis is unreachable')).length,
      1,
      'the outage is logged once, not printed to stderr per retry',
    );
  });
});
