// `npm run db:generate` makes the migrations of both dialects; this is PostgreSQL's half.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.pg.ts',
  out: './db/migrations/pg',
});
