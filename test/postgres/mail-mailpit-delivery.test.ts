// test/mail/mailpit-delivery.test.ts again, on PostgreSQL + Redis.
import t from 'tap';
import { postgresReachable } from '../helpers/on-postgres.js';

const absent = await postgresReachable();
if (absent && process.env.CI === 'true') throw new Error(absent);
if (absent) t.plan(0, absent);
else await import('../mail/mailpit-delivery.test.js');
