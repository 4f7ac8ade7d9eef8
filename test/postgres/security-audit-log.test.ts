// test/security/audit-log.test.ts again, on PostgreSQL + Redis.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../security/audit-log.test.js'));
