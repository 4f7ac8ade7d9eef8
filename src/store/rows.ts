// Row → domain object conversions that both databases share (their client rows have the
// same columns: see db/schema.ts and db/schema.pg.ts).
import type { Client } from './types.js';

/** A `clients` row as either database returns it: allowed domains as a JSON array. */
type ClientRow = Omit<Client, 'allowedDomains'> & { apiKeyHash: string; allowedDomains: string };

/** A client without its key hash. */
export function toClient(row: ClientRow): Client {
  const { apiKeyHash: _hash, allowedDomains, ...rest } = row;
  return { ...rest, allowedDomains: JSON.parse(allowedDomains) as string[] };
}
