// The code mail's headers as composed, before any server sees them.
import t from 'tap';
import { composeCodeMail, qaTags } from '../../src/mail/compose.js';

const mail = {
  clientName: 'Acme Portal',
  from: 'Acme Portal <no-reply@acme.example>',
  to: 'ann@acme.example',
  code: '042917',
  purpose: 'signup' as const,
  locale: 'de',
  ttlMinutes: 10,
  verificationId: 'vf_0123456789abcdefghijkl',
};

t.test("Mailpit tags name the purpose, the language and the client, in Mailpit's alphabet", async (t) => {
  t.equal(qaTags(mail), 'signup, de, Acme Portal');
  t.equal(
    qaTags({ ...mail, clientName: 'Müller & Söhne, Zürich' }),
    'signup, de, Muller Sohne Zurich',
    'accents dropped, a comma cannot split the name',
  );
  t.equal(
    qaTags({ ...mail, clientName: '株式会社' }),
    'signup, de',
    'a name with nothing Mailpit keeps adds no empty tag',
  );
  t.equal(qaTags({ ...mail, locale: 'pt-BR', purpose: 'login' }), 'login, pt-BR, Acme Portal');
});

t.test('the composed mail carries the tags and never the code in them', async (t) => {
  const composed = composeCodeMail(mail, 7);
  const headers = composed.headers as Record<string, string>;
  t.equal(headers['X-Tags'], 'signup, de, Acme Portal');
  t.notMatch(headers['X-Tags'], /042917/);
  t.equal(
    composed.messageId,
    '<vf_0123456789abcdefghijkl.7@acme.example>',
    'the verification id in the Message-ID, for a search',
  );
});
