// Property: whatever a portal does, no event and no webhook body holds a code, a secret,
// an API key or a whole address — events leave mailcode through webhooks and GET /events.
import fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { build, byCommandLine } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('no event or webhook body ever holds a code, a secret, an API key or an unmasked address', async (t) => {
    const { app, createClient, mail, clock, config } = await build(t);
    const acme = await createClient();
    const { secret: webhookSecret } = await app.mailcode.webhooks.add(
      acme.id,
      'http://127.0.0.1:9/hooks',
      [],
      byCommandLine,
    );
    const secrets = new Set<string>([acme.apiKey, webhookSecret, ...config.CODE_SECRET.split(',')]);
    const addresses = new Set<string>();

    const local = fc.stringMatching(/^[a-z][a-z0-9.]{2,12}$/).filter((s) => !s.endsWith('.') && !s.includes('..'));
    const step = fc.record({
      local,
      wrongFirst: fc.boolean(),
      verify: fc.boolean(),
      cancel: fc.boolean(),
      totp: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
        for (const s of steps) {
          clock.advance(61_000);
          const email = `${s.local}@acme.example`;
          addresses.add(email);
          const sent = await app.inject({
            method: 'POST',
            url: '/send-code',
            headers: { ...acme.auth, 'x-request-id': `req-${s.local}` },
            payload: { email },
          });
          if (sent.statusCode !== 202) continue;
          const { verificationId } = sent.json();
          await app.mailcode.worker.runOnce();
          const code = mail.codeFor(email);
          secrets.add(code);
          if (s.wrongFirst)
            await app.inject({
              method: 'POST',
              url: '/verify-code',
              headers: acme.auth,
              payload: { verificationId, code: code === '000000' ? '000001' : '000000' },
            });
          if (s.cancel)
            await app.inject({ method: 'DELETE', url: `/verifications/${verificationId}`, headers: acme.auth });
          else if (s.verify)
            await app.inject({
              method: 'POST',
              url: '/verify-code',
              headers: acme.auth,
              payload: { verificationId, code },
            });
          if (s.totp) {
            const userRef = `user-${s.local}`;
            const enrolled = await app.inject({
              method: 'POST',
              url: '/totp/enrollments',
              headers: acme.auth,
              payload: { userRef, accountName: email },
            });
            if (enrolled.statusCode !== 201) continue;
            const { enrollmentId, secret } = enrolled.json();
            secrets.add(secret);
            const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
            const totpCode = totp.generate({ timestamp: clock.now() });
            secrets.add(totpCode);
            const confirmed = (
              await app.inject({
                method: 'POST',
                url: `/totp/enrollments/${enrollmentId}/confirm`,
                headers: acme.auth,
                payload: { code: totpCode },
              })
            ).json();
            for (const c of confirmed.recoveryCodes ?? []) secrets.add(c);
            if (confirmed.recoveryCodes)
              await app.inject({
                method: 'POST',
                url: '/totp/recover',
                headers: acme.auth,
                payload: { userRef, recoveryCode: confirmed.recoveryCodes[0] },
              });
            const regenerated = (
              await app.inject({
                method: 'POST',
                url: `/totp/${encodeURIComponent(userRef)}/recovery-codes`,
                headers: acme.auth,
              })
            ).json();
            for (const c of regenerated.recoveryCodes ?? []) secrets.add(c);
            await app.inject({ method: 'DELETE', url: `/totp/${encodeURIComponent(userRef)}`, headers: acme.auth });
          }
        }
        await app.mailcode.webhookWorker.runOnce();
        const events = await app.mailcode.store.events.after(0, 100_000);
        const trail = JSON.stringify(events);
        const page = (await app.inject({ method: 'GET', url: '/events?limit=200', headers: acme.auth })).body;
        const bodies = JSON.stringify(
          (await app.mailcode.store.webhooks.claimDue(clock.now() + 86_400_000, 1, 100_000)).map((d) => d.payload),
        );
        for (const text of [trail, page, bodies]) {
          // A code as a token of its own: a six-digit run inside a timestamp is not a code.
          for (const secret of secrets)
            if (new RegExp(`(?<![0-9A-Za-z])${secret.replace(/[^A-Za-z0-9]/g, '\\$&')}(?![0-9A-Za-z])`).test(text))
              return false;
          for (const address of addresses) if (text.includes(address)) return false;
        }
        // The bodies were read: a check over nothing would pass whatever they held.
        return events.length > 0 && bodies.includes('verification.created');
      }),
      { numRuns: 12 },
    );
    t.pass(
      `checked ${secrets.size} codes, secrets and keys and ${addresses.size} addresses against the trail, GET /events and the webhook bodies`,
    );
  });
});
