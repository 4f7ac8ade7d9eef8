// What the clients service (the API-key check, the operator's actions) needs of storage.
import type { NewEvent } from '../events/model.js';
import type { DkimKey, NewDkimKey } from './dkim.js';
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

/** The clients' own DKIM keys. The sealed private key is read only for signing. */
export interface DkimKeysPort {
  /** False (nothing written) when the client already has this selector for this domain. */
  create(key: NewDkimKey, events: NewEvent[]): Promise<boolean>;
  /** A client's keys (every client's without one), oldest first, retired ones too. */
  list(clientId?: string): Promise<DkimKey[]>;
  /** The keys that may sign for a client (not retired), each with its sealed private key. */
  signingKeys(clientId: string): Promise<(DkimKey & { privateKeySealed: string })[]>;
  /** False (nothing written) when the client has no such key not yet retired. */
  retire(clientId: string, id: string, now: number, events: NewEvent[]): Promise<boolean>;
  /** False (nothing written) when the client has no such key. */
  remove(clientId: string, id: string, events: NewEvent[]): Promise<boolean>;
}

/** A client's own SMTP relay: the sealed URL for the mail worker, the URL without credentials to show. */
export interface ClientRelaysPort {
  /** Sets or replaces it, with its events. */
  set(
    clientId: string,
    relay: { smtpUrlSealed: string; shown: string; updatedAt: number },
    events: NewEvent[],
  ): Promise<void>;
  /** False (nothing written) when the client had none. */
  clear(clientId: string, events: NewEvent[]): Promise<boolean>;
  get(clientId: string): Promise<{ smtpUrlSealed: string; shown: string } | undefined>;
}
