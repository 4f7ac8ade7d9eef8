// Clients on SQLite, with the lookup every request makes kept in memory.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { clients } from '../../../db/schema.js';
import type { Client, ClientSettings, NewClient } from '../../clients/model.js';
import type { ClientsPort } from '../../clients/ports.js';
import { clientColumns, toClient } from '../rows.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';
import type { NewEvent } from '../../events/model.js';
import { writeEvents } from './events.js';

export class SqliteClients implements ClientsPort {
  private readonly cache = new Map<string, Client & { apiKeyHash: string }>();
  private cacheVersion: unknown;

  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  async create(client: NewClient, events: NewEvent[]): Promise<Client> {
    this.cache.clear();
    return this.db.transaction((tx) => {
      const row = tx.insert(clients).values(clientColumns(client)).returning().get();
      writeEvents(this.statements, events);
      return toClient(row);
    });
  }

  async update(id: string, changes: Partial<ClientSettings>, events: NewEvent[]): Promise<Client | undefined> {
    this.cache.clear();
    return this.db.transaction((tx) => {
      const row = tx.update(clients).set(clientColumns(changes)).where(eq(clients.id, id)).returning().get();
      if (row) writeEvents(this.statements, events);
      return row ? toClient(row) : undefined;
    });
  }

  async get(id: string): Promise<Client | undefined> {
    const row = this.db.select().from(clients).where(eq(clients.id, id)).get();
    return row ? toClient(row) : undefined;
  }

  async list(): Promise<Client[]> {
    return this.db.select().from(clients).orderBy(asc(clients.createdAt)).all().map(toClient);
  }

  /**
   * Every request looks its client up, so found clients are kept in memory. A change made
   * by another connection (the CLI revoking a key) bumps SQLite's data_version, which
   * empties the cache before the next lookup; this connection's own changes empty it
   * where they are made. So a revocation still holds from the next request on.
   */
  async findByKeyHash(apiKeyHash: string) {
    const version = this.statements.dataVersion.get();
    if (version !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = version;
    }
    const cached = this.cache.get(apiKeyHash);
    if (cached) return cached;
    const row = this.statements.clientByKeyHash.get({ hash: apiKeyHash });
    if (!row) return undefined;
    const client = { ...toClient(row), apiKeyHash: row.apiKeyHash };
    this.cache.set(apiKeyHash, client);
    return client;
  }

  async revoke(id: string, now: number, events: NewEvent[]): Promise<boolean> {
    this.cache.clear();
    return this.db.transaction((tx) => {
      const revoked =
        tx
          .update(clients)
          .set({ revokedAt: now })
          .where(and(eq(clients.id, id), isNull(clients.revokedAt)))
          .run().changes > 0;
      if (revoked) writeEvents(this.statements, events);
      return revoked;
    });
  }

  async rotateKey(id: string, apiKeyHash: string, events: NewEvent[]): Promise<boolean> {
    this.cache.clear();
    return this.db.transaction((tx) => {
      const rotated =
        tx
          .update(clients)
          .set({ apiKeyHash })
          .where(and(eq(clients.id, id), isNull(clients.revokedAt)))
          .run().changes > 0;
      if (rotated) writeEvents(this.statements, events);
      return rotated;
    });
  }
}
