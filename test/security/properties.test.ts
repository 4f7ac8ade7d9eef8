// Property-based tests over the HTTP surface (fast-check): whatever arrives, the service
// answers 4xx or 2xx, never mails an address its policy refuses, and never shows a code.

import fc from 'fast-check';
import { build, unthrottled } from '../helpers/build.js';
import { normalizeEmail } from '../../src/verification/email-address.js';
import { checkDomain } from '../../src/verification/domain-policy.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const runs = Number(process.env.PROPERTY_RUNS ?? 2000);
  const env = unthrottled;

  const nasty = fc.constantFrom(
    '\r',
    '\n',
    '\r\n',
    '\u0000',
    '"',
    "'",
    '(',
    ')',
    '<',
    '>',
    ',',
    ';',
    ':',
    '\\',
    ' ',
    '\t',
    '@',
    '..',
    '.',
    '%0d%0a',
    '\u2028',
    '\u202e',
    '\ufeff',
    'ß',
    'İ',
    'а' /* Cyrillic a */,
    'ο' /* Greek omicron */,
    'ａ' /* fullwidth */,
    '💌',
    'xn--',
    '-',
  );
  const part = fc
    .array(
      fc.oneof(
        fc.constantFrom('a', 'b', 'acme', 'example', '1'),
        nasty,
        fc.string({ maxLength: 4 }),
        fc.string({ unit: 'binary', maxLength: 3 }),
      ),
      { maxLength: 8 },
    )
    .map((xs) => xs.join(''));
  const domain = fc.oneof(
    fc.constantFrom(
      'acme.example',
      'sub.acme.example',
      'ACME.example',
      'acme.example.',
      'аcme.example',
      'acme.example.evil.test',
      'gmail.com',
      'mailinator.com',
      'münchen.example',
    ),
    part.map((p) => `${p}.example`),
    part,
  );
  // Mostly-valid addresses, so the "mailed" path is exercised as hard as the refusals.
  const plausible = fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,20}$/),
      fc.constantFrom(
        'acme.example',
        'ACME.Example',
        'eu.acme.example',
        'münchen.example',
        'acme.example.',
        'acme.example.evil.test',
        'аcme.example',
        'gmail.com',
      ),
      fc.constantFrom('', ' ', '  ', '\t'),
    )
    .map(([l, d, pad]) => `${pad}${l}@${d}${pad}`);
  const address = fc.oneof(
    { arbitrary: plausible, weight: 3 },
    fc.tuple(part, domain).map(([l, d]) => `${l}@${d}`),
    fc.tuple(part, part, domain).map(([n, l, d]) => `${n} <${l}@${d}>`),
    fc.tuple(part, domain).map(([l, d]) => `"${l}"@${d}`),
    fc.tuple(part, domain).map(([l, d]) => `${l}(comment)@${d}`),
    fc.tuple(fc.integer({ min: 60, max: 400 }), domain).map(([n, d]) => `${'x'.repeat(n)}@${d}`),
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );
  const anyJson = fc.jsonValue({ maxDepth: 3 });

  t.test(
    `random addresses (${runs} runs): never a 5xx, never a mail outside the policy, never a code in a response`,
    async (t) => {
      const { app, createClient, mail } = await build(t, { env });
      const acme = await createClient('Acme', ['acme.example', 'xn--mnchen-3ya.example']);
      let mailed = 0;
      await fc.assert(
        fc.asyncProperty(
          address,
          fc.option(fc.constantFrom('signup', 'login', 'reset', ''), { nil: undefined }),
          async (email, purpose) => {
            const before = mail.sent.length;
            const response = await app.inject({
              method: 'POST',
              url: '/send-code',
              headers: acme.auth,
              payload: purpose === undefined ? { email } : { email, purpose },
            });
            await app.mailcode.worker.runOnce();
            if (response.statusCode >= 500) return false;
            for (const sent of mail.sent.slice(before)) {
              const to = String(sent.to);
              const normalized = normalizeEmail(to);
              // The mail went to exactly the normalized address, and that address obeys the policy.
              if (
                !normalized.ok ||
                normalized.email !== to ||
                !checkDomain(normalized.domain, acme.allowedDomains).allowed
              )
                return false;
              if (/[\r\n]/.test(to)) return false;
              const code = /^ {4}(\d{6})$/m.exec(String(sent.text))?.[1];
              if (!code || response.body.includes(code)) return false;
              mailed++;
            }
            return response.statusCode === 202 ? mail.sent.length === before + 1 : mail.sent.length === before;
          },
        ),
        { numRuns: runs },
      );
      t.ok(mailed > 0, `some random addresses were valid and mailed (${mailed})`);
    },
  );

  t.test(`random JSON bodies on every portal route (${runs} runs): always a 2xx or a 4xx problem`, async (t) => {
    const { app, createClient } = await build(t, { env });
    const acme = await createClient();
    const routes = [
      ['POST', '/send-code'],
      ['POST', '/verify-code'],
      ['GET', '/verifications/vf_x'],
      ['DELETE', '/verifications/vf_x'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), anyJson, async ([method, url], body) => {
        const response = await app.inject({
          method,
          url,
          headers: { ...acme.auth, 'content-type': 'application/json' },
          payload: method === 'POST' ? JSON.stringify(body) : undefined,
        });
        if (response.statusCode >= 500) return false;
        if (response.statusCode >= 400) {
          const problem = response.json();
          return (
            response.headers['content-type'] === 'application/problem+json; charset=utf-8' &&
            typeof problem.code === 'string' &&
            problem.status === response.statusCode
          );
        }
        return true;
      }),
      { numRuns: runs },
    );
  });

  t.test(`random header values (${runs} runs): never a 5xx`, async (t) => {
    const { app, createClient } = await build(t, { env });
    const acme = await createClient();
    const headerValue = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(
        `Bearer ${acme.apiKey}`,
        'Bearer',
        'Bearer  x',
        'bearer x',
        `Bearer ${acme.apiKey} extra`,
        '\u00ff\u00fe',
        'application/json; charset=utf-16',
        'text/plain',
        'application/x-www-form-urlencoded',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        headerValue,
        headerValue,
        headerValue,
        anyJson,
        async (authorization, contentType, requestId, body) => {
          // Only values a real HTTP client could send (no control characters).
          const headers: Record<string, string> = {};
          for (const [name, value] of [
            ['authorization', authorization],
            ['content-type', contentType],
            ['x-request-id', requestId],
          ] as const) {
            if (/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) headers[name] = value;
          }
          const response = await app.inject({
            method: 'POST',
            url: '/send-code',
            headers,
            payload: JSON.stringify(body),
          });
          return response.statusCode < 500;
        },
      ),
      { numRuns: runs },
    );
  });

  /** Strings a JSON body can carry that have tripped encoders, databases and loggers. */
  const awkwardString = fc.oneof(
    fc.constantFrom(
      'a\ud800b',
      '\ud800',
      '\udfff',
      'a\udc00',
      '\u0000',
      'a\u0000b',
      '\u202eabc',
      '\u200f',
      '\ufeff',
      '💌',
      'x'.repeat(10_000),
      '',
      ' ',
      '%',
      '%00',
      '/',
      '..',
      ':',
    ),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  );

  /** A path segment as a client could send it, including bytes that are not UTF-8 at all. */
  const awkwardSegment = fc.oneof(
    awkwardString.map((s) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
    fc.constantFrom('%ED%A0%80', '%C0%AF', '%FF', '%', '%zz', '%00', 'a'.repeat(3_000)),
  );

  t.test(
    `every string field of every body, and every path parameter, with awkward strings (${runs} runs): a 2xx or a 4xx problem`,
    async (t) => {
      const { app, createClient } = await build(t, { env });
      const acme = await createClient();
      const valid = {
        '/send-code': { email: 'alice@acme.example', purpose: 'login', locale: 'en', endUserIp: '203.0.113.9' },
        '/verify-code': { verificationId: 'vf_x', code: '123456', endUserIp: '2001:db8::1' },
        '/verify-code ': { email: 'alice@acme.example', purpose: 'login', code: '123456' },
        '/totp/enrollments': { userRef: 'user-1', accountName: 'alice@acme.example' },
        '/totp/enrollments/te_x/confirm': { code: '123456' },
        '/totp/verify': { userRef: 'user-1', code: '123456' },
        '/totp/recover': { userRef: 'user-1', recoveryCode: 'abcde-fghjk' },
      } as const;
      const bodyFields = Object.entries(valid).flatMap(([url, body]) =>
        Object.keys(body).map((field) => ({ url: url.trim(), body, field })),
      );
      const pathParameters: [method: 'GET' | 'POST' | 'DELETE', url: (segment: string) => string][] = [
        ['GET', (s) => `/verifications/${s}`],
        ['DELETE', (s) => `/verifications/${s}`],
        ['POST', (s) => `/totp/enrollments/${s}/confirm`],
        ['GET', (s) => `/totp/${s}`],
        ['DELETE', (s) => `/totp/${s}`],
        ['POST', (s) => `/totp/${s}/recovery-codes`],
      ];
      const isProblem = (response: Awaited<ReturnType<typeof app.inject>>) =>
        response.statusCode < 400 ||
        (response.statusCode < 500 &&
          response.headers['content-type'] === 'application/problem+json; charset=utf-8' &&
          response.json().status === response.statusCode);

      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...bodyFields), awkwardString, async ({ url, body, field }, value) => {
          const payload = JSON.stringify({ ...body, [field]: value });
          const response = await app.inject({
            method: 'POST',
            url,
            headers: { ...acme.auth, 'content-type': 'application/json' },
            payload,
          });
          return isProblem(response);
        }),
        { numRuns: runs },
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...pathParameters), awkwardSegment, async ([method, url], segment) => {
          const response = await app.inject({
            method,
            url: url(segment),
            headers: acme.auth,
            payload: method === 'POST' ? {} : undefined,
          });
          return isProblem(response);
        }),
        // Fewer shapes to try than in a body: a quarter of the runs covers them.
        { numRuns: Math.ceil(runs / 4) },
      );
    },
  );
});
