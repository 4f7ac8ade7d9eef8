// A portal written from the README alone: the README's snippet, copied as it is into a
// fresh folder that has only the mailcode package, signs a person in.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { packageRoot } from '../../src/shared/paths.js';
import { requireBuild, runCli, startMailcode, waitFor } from '../helpers/processes.js';

function readmeSnippet(): string {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const after = readme.split('<!-- portal-snippet')[1];
  const code = after && /```js\n([\s\S]*?)```/.exec(after)?.[1];
  if (!code) throw new Error('README has no portal snippet');
  return code;
}

t.test("the README's portal snippet, in a fresh folder, signs in with a verified token", async (t) => {
  if (!requireBuild(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-readme-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const portalDir = join(dir, 'portal');
  mkdirSync(join(portalDir, 'node_modules'), { recursive: true });
  // The folder gets the package the way `npm install mailcode` (or `npm link`) would.
  symlinkSync(packageRoot, join(portalDir, 'node_modules', 'mailcode'), 'dir');
  writeFileSync(join(portalDir, 'package.json'), JSON.stringify({ name: 'a-portal', type: 'module', private: true }));
  writeFileSync(join(portalDir, 'portal.mjs'), readmeSnippet());

  const mailDir = join(dir, 'mail');
  const env = {
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    MAIL_DIR: mailDir,
    LOG_LEVEL: 'warn',
    PUBLIC_URL: 'http://mailcode.readme.test',
  };
  const { clientId, apiKey } = JSON.parse(
    runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env).stdout,
  );
  const server = await startMailcode(t, env);
  Object.assign(process.env, {
    MAILCODE_URL: server.url,
    MAILCODE_API_KEY: apiKey,
    MAILCODE_CLIENT_ID: clientId,
    MAILCODE_ISSUER: 'http://mailcode.readme.test',
  });

  const portal = (await import(pathToFileURL(join(portalDir, 'portal.mjs')).href)) as {
    startLogin(email: string): Promise<{ verificationId?: string; error?: string }>;
    finishLogin(id: string, code: string): Promise<{ signedIn?: string; error?: string }>;
  };
  t.same(await portal.startLogin('someone@gmail.com'), { error: 'Please use your company email address.' });
  const { verificationId } = await portal.startLogin('Erin@acme.example');
  t.match(verificationId, /^vf_/);
  // The whole mail only: the file transport writes `.<name>.partial` first, then renames it.
  const mailFile = () => readdirSync(mailDir).find((f) => f.endsWith('.eml') && f.includes(verificationId!));
  await waitFor('the mail file', async () => mailFile() !== undefined);
  const eml = readFileSync(join(mailDir, mailFile()!), 'utf8');
  const code = /^ {4}(\d{6})$/m.exec(eml)![1]!;
  const wrong = code === '000000' ? '000001' : '000000';
  t.same(await portal.finishLogin(verificationId!, wrong), { error: 'Wrong code, 4 attempts left.' });
  t.same(await portal.finishLogin(verificationId!, code), { signedIn: 'erin@acme.example' });
  await t.rejects(
    portal.finishLogin(verificationId!, code),
    { name: 'AlreadyVerifiedError', code: 'already_verified' },
    'used once',
  );
});
