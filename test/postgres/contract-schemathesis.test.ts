// test/contract/schemathesis.test.ts again, on PostgreSQL + Redis.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../contract/schemathesis.test.js'));
