// Row ↔ domain conversions both databases share (their client rows have the same columns:
// see db/schema.ts and db/schema.pg.ts).
import type { Client, ClientSettings } from '../clients/model.js';

/** A `clients` row as either database returns it: allowed domains as a JSON array. */
type ClientRow = Omit<Client, 'allowedDomains'> & { apiKeyHash: string; allowedDomains: string };

/** A client without its key hash. */
export function toClient(row: ClientRow): Client {
  const { apiKeyHash: _hash, allowedDomains, ...rest } = row;
  return { ...rest, allowedDomains: JSON.parse(allowedDomains) as string[] };
}

/** Client fields as columns: the allowed domains as JSON text. */
export function clientColumns<T extends Partial<ClientSettings>>(client: T): Omit<T, 'allowedDomains'> & { allowedDomains?: string } {
  const { allowedDomains, ...rest } = client;
  return { ...rest, ...(allowedDomains ? { allowedDomains: JSON.stringify(allowedDomains) } : {}) };
}
