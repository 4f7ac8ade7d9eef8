// What the API-key check and the CLI need of client storage.
import type { NewEvent } from '../events/model.js';
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
  /** Replaces an active client's API key (the old one stops working at once), with its events; false when there is no active client. */
  rotateKey(id: string, apiKeyHash: string, events: NewEvent[]): Promise<boolean>;
}
