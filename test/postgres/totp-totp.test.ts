// test/totp/totp.test.ts again, on PostgreSQL + Redis.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../totp/totp.test.js'));
