// An investigation can follow every send, verify, lockout and limit hit in the log,
// without the log leaking codes or full addresses.

import { build } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  type Line = Record<string, unknown> & { msg: string };

  t.test('audit lines name client, masked address, IP, verification and outcome', async (t) => {
    const { app, createClient, sendCode, verifyCode, mail, logs, clock } = await build(t);
    const acme = await createClient();
    const { verificationId } = (
      await sendCode(acme.apiKey, { email: 'alice@acme.example', endUserIp: '203.0.113.9' })
    ).json();
    const code = mail.codeFor('alice@acme.example');
    const wrong = code === '111111' ? '222222' : '111111';
    for (let i = 0; i < 5; i++)
      await verifyCode(acme.apiKey, { verificationId, code: wrong, endUserIp: '203.0.113.9' });
    clock.advance(1000);
    await sendCode(acme.apiKey, { email: 'bob@acme.example' });
    await sendCode(acme.apiKey, { email: 'bob@acme.example' }); // cooldown

    const lines = logs.lines.map((l) => JSON.parse(l) as Line);
    const find = (msg: string) => lines.filter((l) => l.msg === msg);
    t.match(find('code queued')[0], {
      reqId: /^req-/,
      client: acme.id,
      to: 'a***@acme.example',
      ip: '203.0.113.9',
      verificationId,
      outcome: 'queued',
    });
    t.match(find('wrong code')[0], {
      client: acme.id,
      to: 'a***@acme.example',
      ip: '203.0.113.9',
      verificationId,
      outcome: 'invalid',
      attemptsRemaining: 4,
    });
    t.match(find('verification locked after too many wrong codes')[0], {
      client: acme.id,
      verificationId,
      outcome: 'locked',
      ip: '203.0.113.9',
    });
    t.match(find('send refused by limit')[0], {
      client: acme.id,
      to: 'b***@acme.example',
      limit: 'cooldown',
      outcome: 'rate_limited',
      ip: '127.0.0.1',
    });
    t.ok(find('mail sent').length >= 2, 'each delivery is logged');
    t.notOk(logs.text.includes(code), 'never the code');
    t.notOk(logs.text.includes('alice@acme.example'), 'never the full address');
    void app;
  });
});
