// test/mail/mailpit-delivery.test.ts again, on PostgreSQL + Redis.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../mail/mailpit-delivery.test.js'));
