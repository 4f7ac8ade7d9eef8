import * as OTPAuth from 'otpauth';
import { build } from '../helpers/build.js';
import { openapi, openapiMismatch } from '../helpers/openapi.js';
import { onEachDatabase } from '../helpers/databases.js';
import { readFileSync } from 'node:fs';
import tap from 'tap';
import { openapiYaml } from '../../src/http/openapi.js';
import { openapiPath, packageVersion } from '../../src/shared/paths.js';

tap.test('openapi.yaml is what the schemas generate (run `npm run openapi` after changing them)', async (t) => {
  t.equal(readFileSync(openapiPath, 'utf8'), openapiYaml(packageVersion));
});

await onEachDatabase(async (t) => {
  t.test('every registered route is described in openapi.yaml', async (t) => {
    const { app } = await build(t);
    const routes = app.registeredRoutes.map((r) => {
      const [method, url] = r.split(' ') as [string, string];
      return { method, url };
    });
    t.ok(routes.length >= 8, `found ${routes.length} routes`);
    for (const { method, url } of routes) {
      // HEAD twins, the docs UI's own assets under /docs/, and the console's HTML pages (not the API).
      if (method === 'HEAD' || url.startsWith('/docs/') || url === '/console' || url.startsWith('/console/')) continue;
      const template = url.replace(/:([A-Za-z]+)/g, '{$1}');
      t.ok(openapi.paths[template]?.[method.toLowerCase()], `${method} ${template} is in openapi.yaml`);
    }
    // …and every operation the document describes is a route the app answers.
    const registered = new Set(routes.map(({ method, url }) => `${method} ${url.replace(/:([A-Za-z]+)/g, '{$1}')}`));
    for (const [path, operations] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(operations))
        t.ok(
          registered.has(`${method.toUpperCase()} ${path}`),
          `${method.toUpperCase()} ${path} is a registered route`,
        );
    }
  });

  t.test('the served /openapi.yaml is the repository file', async (t) => {
    const { app } = await build(t);
    const response = await app.inject({ method: 'GET', url: '/openapi.yaml' });
    t.equal(response.statusCode, 200);
    t.match(response.body, /^openapi: 3\.1\.0$/m);
    t.equal(openapiMismatch('GET', '/openapi.yaml', response), undefined);
    const docs = await app.inject({ method: 'GET', url: '/docs' });
    t.ok([200, 302].includes(docs.statusCode), '/docs renders (or redirects to) the UI');
  });

  t.test('the responses of a whole flow match openapi.yaml', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const acme = await createClient();
    const calls: [string, string, object?, Record<string, string>?][] = [];
    const call = async (
      method: 'GET' | 'POST' | 'DELETE',
      url: string,
      payload?: object,
      headers: Record<string, string> = acme.auth,
    ) => {
      const response = await app.inject({ method, url, payload, headers });
      t.equal(openapiMismatch(method, url, response), undefined, `${method} ${url} → ${response.statusCode}`);
      if (url === '/send-code') await app.mailcode.worker.runOnce();
      calls.push([method, url]);
      return response;
    };
    const sent = (await call('POST', '/send-code', { email: 'alice@acme.example' })).json();
    await call('POST', '/send-code', { email: 'alice@acme.example' }); // 429 cooldown
    await call('POST', '/send-code', { email: 'alice@gmail.com' }); // 422
    await call('POST', '/send-code', { email: 'bad' }); // 400
    await call('POST', '/send-code', { email: 'alice@acme.example' }, {}); // 401
    await call('GET', `/verifications/${sent.verificationId}`);
    await call('POST', '/verify-code', {
      verificationId: sent.verificationId,
      code: mail.codeFor('alice@acme.example') === '111111' ? '222222' : '111111',
    }); // 422
    await call('POST', '/verify-code', {
      verificationId: sent.verificationId,
      code: mail.codeFor('alice@acme.example'),
    });
    await call('POST', '/verify-code', {
      verificationId: sent.verificationId,
      code: mail.codeFor('alice@acme.example'),
    }); // 409
    await call('POST', '/verify-code', { verificationId: 'vf_nope', code: '123456' }); // 404
    await call('DELETE', `/verifications/${sent.verificationId}`); // 409
    clock.advance(60_000);
    const other = (await call('POST', '/send-code', { email: 'bob@acme.example' })).json();
    await call('DELETE', `/verifications/${other.verificationId}`); // 204
    await call('POST', '/verify-code', { verificationId: other.verificationId, code: '123456' }); // 410
    await call('GET', '/.well-known/jwks.json', undefined, {});
    await call('GET', '/healthz', undefined, {});
    await call('GET', '/readyz', undefined, {});
    mail.failWith = new Error('down');
    await call('GET', '/readyz', undefined, {}); // 503
    t.ok(calls.length >= 17);
  });

  t.test('the responses of the authenticator-app routes match openapi.yaml', async (t) => {
    const { app, createClient, clock } = await build(t);
    const acme = await createClient();
    const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
      const response = await app.inject({ method, url, payload, headers: acme.auth });
      t.equal(openapiMismatch(method, url, response), undefined, `${method} ${url} → ${response.statusCode}`);
      return response;
    };
    const enrollment = (
      await call('POST', '/totp/enrollments', { userRef: 'user-1', accountName: 'a@acme.example' })
    ).json();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrollment.secret) });
    const code = (offset = 0) => totp.generate({ timestamp: clock.now() + offset * 30_000 });
    await call('POST', `/totp/enrollments/${enrollment.enrollmentId}/confirm`, {
      code: code() === '000000' ? '000001' : '000000',
    }); // 422
    const { recoveryCodes } = (
      await call('POST', `/totp/enrollments/${enrollment.enrollmentId}/confirm`, { code: code() })
    ).json();
    await call('POST', '/totp/enrollments/te_nope/confirm', { code: '123456' }); // 404
    await call('POST', '/totp/enrollments', { userRef: 'user-1', accountName: 'a' }); // 409
    await call('POST', '/totp/verify', { userRef: 'user-1', code: code(1) });
    await call('POST', '/totp/verify', { userRef: 'nobody', code: '123456' }); // 404
    await call('POST', '/totp/recover', { userRef: 'user-1', recoveryCode: recoveryCodes[0] });
    for (let i = 0; i < 5; i++)
      await call('POST', '/totp/recover', { userRef: 'user-1', recoveryCode: recoveryCodes[0] }); // 422 …
    await call('POST', '/totp/verify', { userRef: 'user-1', code: code(1) }); // 429 locked
    await call('GET', '/totp/user-1');
    await call('POST', '/totp/user-1/recovery-codes');
    await call('DELETE', '/totp/user-1');
    await call('DELETE', '/totp/user-1'); // 404
    await call('GET', '/totp/user-1');
    await call('POST', '/totp/enrollments', { userRef: '', accountName: 'a' }); // 400
  });

  t.test('an unknown route is a problem+json 404', async (t) => {
    const { app } = await build(t);
    const response = await app.inject({ method: 'GET', url: '/nope' });
    t.equal(response.statusCode, 404);
    t.equal(response.json().code, 'not_found');
  });
});
