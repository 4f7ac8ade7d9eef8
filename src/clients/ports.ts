// What the API-key check and the CLI need of client storage.
import type { Client, ClientSettings, NewClient } from './model.js';

export interface ClientsPort {
  create(client: NewClient): Promise<Client>;
  list(): Promise<Client[]>;
  get(id: string): Promise<Client | undefined>;
  /** The client whose API key has this SHA-256 (revoked or not), with the stored hash. */
  findByKeyHash(apiKeyHash: string): Promise<(Client & { apiKeyHash: string }) | undefined>;
  update(id: string, changes: Partial<ClientSettings>): Promise<Client | undefined>;
  /** False when there is no such client or it was already revoked. */
  revoke(id: string, now: number): Promise<boolean>;
}
