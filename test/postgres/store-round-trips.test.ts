// test/store/round-trips.test.ts on PostgreSQL + Redis, where round trips are what a request costs.
import { runOnPostgres } from '../helpers/on-postgres.js';

await runOnPostgres(() => import('../store/round-trips.test.js'));
