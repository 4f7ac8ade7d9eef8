// test/client/client.test.ts again, on PostgreSQL + Redis.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../client/client.test.js'));
