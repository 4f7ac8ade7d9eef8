// Ceilings: the floor's route plus the one piece of work mailcode cannot skip, to show in
// the same run how far each scenario could go on this machine even if everything else
// were free. Both use mailcode's own code, so the cost is the real one:
//   /signed  validate + one signed verification assertion (every verify answer signs one:
//            the real assertion, or a decoy so that a wrong code takes as long as a right one)
//   /mailed  validate + one code mail composed and delivered to the SMTP sink (a send's
//            mail, delivered before the answer, so the rate is one where delivery keeps pace)
import { generateKeyPairSync } from 'node:crypto';
import { signAssertion } from '../src/assertions/assertion.js';
import type { KeyRing } from '../src/assertions/keyring.js';
import { composeCodeMail } from '../src/mail/compose.js';
import { smtpTransport } from '../src/mail/transport.js';
import { floorAnswer, floorApp, floorRouteSchema, listenForParent } from './floor-app.js';

const { privateKey } = generateKeyPairSync('ed25519');
// Only the signing key is asked of a key ring when signing.
const keys = { signingKey: () => ({ kid: 'ceiling', privateKey }) } as unknown as KeyRing;
const transport = smtpTransport(process.env.SMTP_URL!);
let sequence = 0;

const app = floorApp();

app.post('/signed', { schema: floorRouteSchema }, async (request, reply) => {
  const now = Date.now();
  const verification = {
    id: `vf_ceiling${++sequence}`,
    clientId: 'cl_ceiling',
    email: request.body.email,
    purpose: 'login',
    verifiedAt: now,
  };
  await signAssertion(keys, verification, { issuer: 'http://127.0.0.1', ttlSeconds: 300 }, now);
  return reply.code(202).send(floorAnswer(request.body));
});

app.post('/mailed', { schema: floorRouteSchema }, async (request, reply) => {
  const id = `vf_ceiling${++sequence}`;
  const mail = {
    to: request.body.email,
    from: 'Bench Portal <no-reply@bench.example>',
    clientName: 'Bench Portal',
    code: '123456',
    purpose: 'login' as const,
    locale: 'en',
    ttlMinutes: 10,
    verificationId: id,
  };
  await transport.send(composeCodeMail(mail, sequence), id);
  return reply.code(202).send(floorAnswer(request.body));
});

await listenForParent(app);
