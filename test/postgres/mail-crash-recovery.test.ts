// test/mail/crash-recovery.test.ts again, on PostgreSQL + Redis.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../mail/crash-recovery.test.js'));
