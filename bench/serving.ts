// What the bench's server processes share, whichever script starts them: their secret and
// environment, their heap settings, how to know they are up, and the codes sent to them.
import { setTimeout as sleep } from 'node:timers/promises';
import { seededEmail, type Seeded } from './seed.js';

export const benchSecret = 'bench-secret-0123456789abcdef0123456789abcdef';

/** Production mode on this database; the abuse limits set out of the way: every request here is expected to pass. */
export function benchServerEnv(databaseEnv: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    SMTP_URL: 'smtp://127.0.0.1:9', // replaced per server start where mail is delivered; production mode requires one
    ...databaseEnv,
    CODE_SECRET: benchSecret,
    PUBLIC_URL: 'http://127.0.0.1',
    LOG_LEVEL: 'warn',
    CLIENT_REQUESTS_PER_SECOND: '1000000',
    SENDS_PER_EMAIL_HOUR: '100000',
    SENDS_PER_EMAIL_DAY: '100000',
    DOMAIN_MAILS_PER_HOUR: '100000000',
    GLOBAL_MAILS_PER_MINUTE: '100000000',
    WRONG_CODES_PER_EMAIL_HOUR: '100000',
  };
}

/** The heap settings the README recommends (npm start and the Dockerfile use them too), or BENCH_NODE_FLAGS. */
export const serverNodeFlags = () =>
  (process.env.BENCH_NODE_FLAGS ?? '--max-old-space-size=128 --max-semi-space-size=16').split(' ');

export async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  throw new Error('server did not start');
}

/**
 * Verify-code bodies: right codes from a seeded pool (each once, until the pool wraps),
 * wrong codes for targets that never lock (by id, and by address + purpose), and attempts
 * on verifications that do not exist (an unknown id; an address with nothing pending).
 */
export function codeBodies(right: Seeded, wrongTargets: Seeded) {
  let r = 0;
  let w = 0;
  let u = 0;
  const wrongCode = (i: number) => (wrongTargets.codes[i] === '000000' ? '000001' : '000000');
  const nextWrong = () => w++ % wrongTargets.ids.length;
  return {
    right: () => {
      const i = r++ % right.ids.length;
      return { verificationId: right.ids[i], code: right.codes[i] };
    },
    wrong: () => {
      const i = nextWrong();
      return { verificationId: wrongTargets.ids[i], code: wrongCode(i) };
    },
    wrongByEmail: () => {
      const i = nextWrong();
      return { email: seededEmail(wrongTargets.ids[i]!), purpose: 'login', code: wrongCode(i) };
    },
    // Shaped like the seeded ones, so nothing but their absence tells them apart.
    unknown: () => ({ verificationId: `vf_u${(u++).toString(36).padStart(8, '0')}`, code: '123456' }),
    unknownByEmail: () => ({
      email: seededEmail(`vf_u${(u++).toString(36).padStart(8, '0')}`),
      purpose: 'login',
      code: '123456',
    }),
  };
}
