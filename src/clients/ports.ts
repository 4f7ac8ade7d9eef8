// What the clients service (the API-key check, the operator's actions) needs of storage.
import type { NewEvent } from '../events/model.js';
import type { Client, ClientSettings, NewClient } from './model.js';

export interface ClientsPort {
  /** Each change writes its events in the same transaction. */
  create(client: NewClient, events: NewEvent[]): Promise<Client>;
  list(): Promise<Client[]>;
  get(id: string): Promise<Client | undefined>;
  /** The client whose API key has this SHA-256 (revoked or not), with the stored hash. */
  findByKeyHash(apiKeyHash: string): Promise<(Client & { apiKeyHash: string }) | undefined>;
  /** Undefined (and no event written) when there is no such client. */
  update(id: string, changes: Partial<ClientSettings>, events: NewEvent[]): Promise<Client | undefined>;
  /** False (and no event written) when there is no such client or it was already revoked. */
  revoke(id: string, now: number, events: NewEvent[]): Promise<boolean>;
  /** Replaces an active client's API key (the old one stops working at once), with its events; false when there is no active client. */
  rotateKey(id: string, apiKeyHash: string, events: NewEvent[]): Promise<boolean>;
}
