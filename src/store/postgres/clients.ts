// Clients on PostgreSQL.
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { clients } from '../../../db/schema.pg.js';
import type { Client, ClientSettings, NewClient } from '../../clients/model.js';
import type { ClientsPort } from '../../clients/ports.js';
import { clientColumns, toClient } from '../rows.js';
import type { PgDb } from './open.js';
import type { NewEvent } from '../../events/model.js';
import { writeEvents } from './events.js';

export class PostgresClients implements ClientsPort {
  /** Every API request looks its key up: built and named once, planned once per connection. */
  private readonly byKeyHash;

  constructor(private readonly db: PgDb) {
    this.byKeyHash = db
      .select()
      .from(clients)
      .where(eq(clients.apiKeyHash, sql.placeholder('hash')))
      .prepare('mc_client_by_key');
  }

  create(client: NewClient, events: NewEvent[]): Promise<Client> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(clients).values(clientColumns(client)).returning();
      await writeEvents(tx, events);
      return toClient(row!);
    });
  }

  update(id: string, changes: Partial<ClientSettings>, events: NewEvent[]): Promise<Client | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(clients).set(clientColumns(changes)).where(eq(clients.id, id)).returning();
      if (row) await writeEvents(tx, events);
      return row ? toClient(row) : undefined;
    });
  }

  async get(id: string): Promise<Client | undefined> {
    const [row] = await this.db.select().from(clients).where(eq(clients.id, id));
    return row ? toClient(row) : undefined;
  }

  async list(): Promise<Client[]> {
    return (await this.db.select().from(clients).orderBy(asc(clients.createdAt))).map(toClient);
  }

  async findByKeyHash(apiKeyHash: string) {
    const [row] = await this.byKeyHash.execute({ hash: apiKeyHash });
    return row ? { ...toClient(row), apiKeyHash: row.apiKeyHash } : undefined;
  }

  revoke(id: string, now: number, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const revoked = await tx
        .update(clients)
        .set({ revokedAt: now })
        .where(and(eq(clients.id, id), isNull(clients.revokedAt)))
        .returning({ id: clients.id });
      if (revoked.length > 0) await writeEvents(tx, events);
      return revoked.length > 0;
    });
  }

  rotateKey(id: string, apiKeyHash: string, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rotated = await tx
        .update(clients)
        .set({ apiKeyHash })
        .where(and(eq(clients.id, id), isNull(clients.revokedAt)))
        .returning({ id: clients.id });
      if (rotated.length > 0) await writeEvents(tx, events);
      return rotated.length > 0;
    });
  }
}
