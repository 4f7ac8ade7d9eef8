// The README's walk-through, run as a new user pastes it: its shell block as written (with
// a resend added, as people do), against a real `mailcode serve` on the embedded defaults.
// Only what ties it to this machine is replaced: the port, the CLI's path, the mail folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../src/shared/paths.js';
import { cliPath, requireBuild, startMailcode } from './helpers/processes.js';
import { walkThroughShell } from './helpers/readme.js';

t.test("the README's walk-through, pasted with a resend, verifies a code and ends with already_verified", async (t) => {
  if (!requireBuild(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-walkthrough-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    MAIL_DIR: join(dir, 'mail'),
    RESEND_COOLDOWN_SECONDS: '0',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
  };
  const server = await startMailcode(t, env);

  const shell = walkThroughShell();
  const sendLine = /^SENT=\$\(curl[\s\S]*?; echo "\$SENT"$/m.exec(shell)?.[0];
  t.ok(sendLine, 'the walk-through sends a code');
  const script = shell
    // A resend right after the first send, as a person who did not see the mail at once does.
    .replace(
      /^VID=.*$/m,
      (line) =>
        `${line}\n${sendLine!.replace('SENT=', 'RESENT=').replace('echo "$SENT"', 'echo "$RESENT"')}\n[ "$(field .verificationId <<<"$RESENT")" = "$VID" ] || { echo "the resend started another verification" >&2; exit 1; }`,
    )
    .replaceAll('http://127.0.0.1:3000', server.url)
    .replaceAll('npm run -s mailcode --', `node ${cliPath}`)
    .replaceAll('data/mail/', `${join(dir, 'mail')}/`);
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: packageRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  t.match(
    lines.find((l) => l.startsWith('{"verified":true')),
    /"assertion":"ey/,
    'the code of the newest mail verified',
  );
  t.ok(
    lines.some((l) => /email_verified: true/.test(l)),
    'the token checked with jose and the JWKS',
  );
  const [state, events, reused] = lines.slice(-3).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(state, { status: 'verified', delivery: 'sent' }, 'each answer on a line of its own');
  t.match(events, { events: [{ type: 'verification.verified' }] });
  t.match(reused, { code: 'already_verified' });
});
