// The edges of HTTP a careful client or an attacker reaches: long path parameters, the
// bearer scheme's spelling, methods a path does not answer, and what Node's parser and the
// router refuse before any route runs. Every answer is problem+json with the security headers.
import { connect } from 'node:net';

import { build } from '../../helpers/build.js';
import { onEachDatabase } from '../../helpers/databases.js';
import { openapi } from '../../helpers/openapi.js';

await onEachDatabase(async (t) => {
  const problemType = 'application/problem+json; charset=utf-8';

  /** Sends raw bytes to the listening app and returns the whole answer as text. */
  function rawRequest(port: number, bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
      let answer = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    });
  }

  function parseRaw(answer: string) {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    const [statusLine = '', ...headerLines] = head.split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as Record<string, unknown> };
  }

  t.test('a userRef of up to 200 characters works in every path that takes one', async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient();
    for (const length of [101, 150, 200]) {
      const userRef = `u${'x'.repeat(length - 1)}`;
      const status = await app.inject({ method: 'GET', url: `/totp/${userRef}`, headers: acme.auth });
      t.equal(status.statusCode, 200, `GET with ${length} characters`);
      t.equal(status.json().userRef, userRef);
      const reset = await app.inject({ method: 'DELETE', url: `/totp/${userRef}`, headers: acme.auth });
      t.equal(reset.json().code, 'totp_not_enabled', `DELETE with ${length} characters reaches the service`);
      const codes = await app.inject({ method: 'POST', url: `/totp/${userRef}/recovery-codes`, headers: acme.auth });
      t.equal(
        codes.json().code,
        'totp_not_enabled',
        `POST recovery-codes with ${length} characters reaches the service`,
      );
    }
    // 200 characters that each take 12 when percent-encoded (4 UTF-8 bytes).
    const wide = '😀'.repeat(200);
    const encoded = await app.inject({ method: 'GET', url: `/totp/${encodeURIComponent(wide)}`, headers: acme.auth });
    t.equal(encoded.statusCode, 200, '200 emoji, percent-encoded');
    t.equal(encoded.json().userRef, wide);
    const tooLong = await app.inject({ method: 'GET', url: `/totp/${'x'.repeat(201)}`, headers: acme.auth });
    t.equal(tooLong.statusCode, 400);
    t.match(tooLong.json().detail, /200 characters/);
  });

  t.test('a problem repeats at most a short piece of the request, however large the request', async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient();
    // 6 KB of nesting: ajv's path to the first wrong member is body/email/0/0/0/…
    let nested: unknown = 'x';
    for (let i = 0; i < 1_000; i++) nested = [nested];
    const deep = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: nested }),
    });
    t.ok(deep.statusCode >= 400 && deep.statusCode < 500, `deep nesting: ${deep.statusCode}`);
    t.ok(deep.json().detail.length <= 200, `its detail is ${deep.json().detail.length} characters`);
    t.ok(deep.body.length < 1_000, `the whole answer is ${deep.body.length} bytes`);
    // A lone surrogate 3,000 levels down: the problem names where it is, body/email/0/0/0/…
    const surrogate = `{"email":${'['.repeat(3_000)}"\\ud800"${']'.repeat(3_000)}}`;
    const bottom = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: surrogate,
    });
    t.equal(bottom.statusCode, 400);
    t.match(bottom.json().detail, /^body\/email\/0\/0\/0.*…/, 'where it is, cut short');
    t.ok(
      bottom.json().detail.length <= 200,
      `a ${surrogate.length}-byte body: a detail of ${bottom.json().detail.length} characters`,
    );

    const member = 'm'.repeat(5_000);
    const stranger = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'ann@acme.example', [member]: 1 },
    });
    t.equal(stranger.statusCode, 400);
    t.match(stranger.json().detail, /has a member it does not take: "m+…"/, 'an unknown member is named, cut short');
    t.ok(stranger.json().detail.length <= 200);

    const longPath = `/${'p'.repeat(8_000)}`;
    const unknown = await app.inject({ method: 'GET', url: longPath });
    t.equal(unknown.statusCode, 404);
    t.ok(
      unknown.json().detail.length <= 200,
      `an unknown path of 8,000 characters: a detail of ${unknown.json().detail.length}`,
    );
    const wrongMethod = await app.inject({ method: 'PATCH', url: `/verifications/${'v'.repeat(90)}` });
    t.equal(wrongMethod.statusCode, 405);
    t.ok(wrongMethod.json().detail.length <= 200);
  });

  t.test('the bearer scheme is case-insensitive', async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient();
    for (const [i, scheme] of ['Bearer', 'bearer', 'BEARER', 'bEaReR'].entries()) {
      const response = await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: { authorization: `${scheme} ${acme.apiKey}` },
        payload: { email: `person${i}@acme.example` },
      });
      t.equal(response.statusCode, 202, scheme);
    }
    const basic = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { authorization: `Basic ${acme.apiKey}` },
      payload: { email: 'a@acme.example' },
    });
    t.equal(basic.statusCode, 401, 'another scheme is still refused');
  });

  t.test('a method a path does not answer is a 405 problem with Allow', async (t) => {
    const { app } = await build(t);
    const response = await app.inject({ method: 'PATCH', url: '/send-code' });
    t.equal(response.statusCode, 405);
    t.equal(response.headers.allow, 'POST');
    t.equal(response.headers['content-type'], problemType);
    t.equal(response.json().code, 'method_not_allowed');
    const withParameter = await app.inject({ method: 'PUT', url: '/verifications/vf_x' });
    t.equal(withParameter.headers.allow, 'DELETE, GET, HEAD');
    t.equal(
      (await app.inject({ method: 'GET', url: '/nothing-here' })).statusCode,
      404,
      'an unknown path is still a 404',
    );
  });

  t.test('the router refusing a URL answers problem+json with the security headers', async (t) => {
    const { app } = await build(t);
    const badEncoding = await app.inject({ method: 'GET', url: '/verifications/%E0%A4%A' });
    t.equal(badEncoding.statusCode, 400);
    t.equal(badEncoding.headers['content-type'], problemType);
    t.equal(badEncoding.headers['x-content-type-options'], 'nosniff');
    t.equal(badEncoding.json().code, 'invalid_request');
    const longParameter = await app.inject({ method: 'GET', url: `/verifications/${'x'.repeat(2_401)}` });
    t.equal(longParameter.statusCode, 414);
    t.equal(longParameter.headers['content-type'], problemType);
    t.equal(longParameter.headers['content-security-policy']?.includes("default-src 'none'"), true);
  });

  t.test("what Node's HTTP parser refuses is answered as problem+json with the security headers", async (t) => {
    const { app } = await build(t);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const cases = [
      {
        name: 'a NUL byte in a header',
        bytes: 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n',
        status: 400,
      },
      {
        name: 'headers over 16 KiB',
        bytes: `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        status: 431,
      },
      {
        name: 'a URL over 16 KiB',
        bytes: `GET /healthz?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        status: 431,
      },
      { name: 'a method HTTP does not know', bytes: 'FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n', status: 501 },
      { name: 'a malformed request line', bytes: 'GET /healthz HTTP/9\r\n\r\n', status: 400 },
    ];
    for (const { name, bytes, status } of cases) {
      const answer = parseRaw(await rawRequest(port, bytes));
      t.equal(answer.status, status, `${name}: ${status}`);
      t.equal(answer.headers['content-type'], 'application/problem+json', `${name}: problem+json`);
      t.equal(answer.headers['x-frame-options'], 'SAMEORIGIN', `${name}: security headers`);
      t.match(
        answer.body,
        { status, code: 'invalid_request', type: 'urn:mailcode:problem:invalid_request' },
        `${name}: problem body`,
      );
    }
  });

  t.test('GET / points a person to the docs, the contract and health', async (t) => {
    const { app } = await build(t);
    const json = await app.inject({ method: 'GET', url: '/' });
    t.same(json.json(), {
      service: 'mailcode',
      docs: '/docs',
      openapi: '/openapi.yaml',
      health: '/healthz',
      jwks: '/.well-known/jwks.json',
    });
    const page = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,application/xhtml+xml' } });
    t.match(page.headers['content-type'], /^text\/html/);
    for (const link of ['/docs', '/openapi.yaml', '/healthz']) t.match(page.body, `href="${link}"`);
  });

  t.test('/docs calls the server at whatever address the page was opened from', async (t) => {
    const { app } = await build(t);
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { servers: { url: string }[] };
    for (const opened of [
      'http://127.0.0.1:3000/docs/',
      'http://localhost:3000/docs/',
      'https://mailcode.example.com/docs/',
    ]) {
      // Swagger UI resolves the document's server URL against the URL it loaded the document from.
      const target = new URL(spec.servers[0]!.url, new URL('json', opened));
      t.equal(target.origin, new URL(opened).origin, `opened at ${new URL(opened).origin}`);
    }
  });

  t.test('a lone UTF-16 surrogate in any string is a 400 naming where it is', async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient();
    const body = await app.inject({
      method: 'POST',
      url: '/totp/enrollments',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: '{"userRef":"u1","accountName":"a\\ud800b"}',
    });
    t.equal(body.statusCode, 400);
    t.equal(body.headers['content-type'], problemType);
    t.match(body.json(), { code: 'invalid_request', detail: /^body\/accountName holds a lone UTF-16 surrogate/ });
    const nested = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: '{"email":"a@acme.example","extra":{"deep":["ok","\\udc00"]}}',
    });
    t.match(
      nested.json(),
      { status: 400, detail: /^body\/extra\/deep\/1 holds a lone UTF-16 surrogate/ },
      'found wherever it is, before the schema',
    );
    const pair = await app.inject({
      method: 'POST',
      url: '/totp/enrollments',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: '{"userRef":"u1","accountName":"Alice \\ud83d\\ude00"}',
    });
    t.equal(pair.statusCode, 201, 'a surrogate pair (an emoji) is text');
  });

  t.test(
    'a body nested thousands of levels deep, within the size limit, is a 400 on every route that takes a body',
    async (t) => {
      const { app, createClient } = await build(t);
      const acme = await createClient();
      const withBody = Object.entries(openapi.paths).flatMap(([path, operations]) =>
        Object.entries(operations)
          .filter(([, operation]) => 'requestBody' in operation)
          .map(([method, operation]) => ({
            method: method.toUpperCase() as 'POST',
            url: path.replace('{id}', 'vf_x').replace('{userRef}', 'u1'),
            auth: 'security' in operation ? {} : acme.auth,
          })),
      );
      t.ok(withBody.length >= 6, `${withBody.map((r) => r.url).join(', ')}`);
      const bodies = {
        arrays: `{"email":${'['.repeat(7_000)}${']'.repeat(7_000)}}`,
        objects: `{"code":${'{"a":'.repeat(2_500)}1${'}'.repeat(2_500)}}`,
        'a lone surrogate at the bottom': `{"email":${'['.repeat(7_000)}"\\ud800"${']'.repeat(7_000)}}`,
      };
      for (const route of withBody) {
        for (const [shape, payload] of Object.entries(bodies)) {
          t.ok(payload.length < 16 * 1024);
          const answer = await app.inject({
            method: route.method,
            url: route.url,
            headers: { ...acme.auth, ...route.auth, 'content-type': 'application/json' },
            payload,
          });
          t.equal(answer.statusCode, 400, `${route.method} ${route.url}, ${shape}: ${answer.body.slice(0, 200)}`);
          t.equal(answer.headers['content-type'], problemType);
        }
      }
    },
  );
});
