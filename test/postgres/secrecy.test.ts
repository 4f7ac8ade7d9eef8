// test/secrecy.test.ts again, on PostgreSQL + Redis.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../secrecy.test.js'));
