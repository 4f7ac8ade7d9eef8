// The embedded default writes each mail as an .eml file; a person or a tool watching the
// folder must never read half a mail.
import { mkdtempSync, readFileSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fileTransport } from '../../src/mail/transport.js';

t.test('a watcher that reads each .eml as soon as it appears always reads a whole mail', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-eml-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const transport = fileTransport(dir);
  await transport.ready();
  const seen = new Map<string, string>();
  const watcher = watch(dir, (_event, name) => {
    if (!name?.endsWith('.eml') || seen.has(name)) return;
    try {
      seen.set(name, readFileSync(join(dir, name), 'utf8'));
    } catch {
      // Gone again between the event and the read: not a half-written file.
    }
  });
  t.teardown(() => watcher.close());
  // Big enough that writing one takes several write calls.
  const html = `<p>${'The code is 123456. '.repeat(20_000)}</p>`;
  for (let i = 0; i < 30; i++) {
    await transport.send(
      { from: 'a@acme.example', to: `p${i}@acme.example`, subject: `mail ${i}`, text: 'The code is 123456.', html },
      `vf_${i}`,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const files = readdirSync(dir);
  t.equal(files.filter((f) => f.endsWith('.eml')).length, 30, 'thirty mails');
  t.same(
    files.filter((f) => !f.endsWith('.eml')),
    [],
    'no temporary files left behind',
  );
  t.ok(seen.size > 0, `the watcher read ${seen.size} files as they appeared`);
  for (const [name, content] of seen) {
    t.equal(content, readFileSync(join(dir, name), 'utf8'), `${name} was whole when it appeared`);
  }
  transport.close();
});
