// Clients' own SMTP relays on PostgreSQL.
import { eq } from 'drizzle-orm';
import { clientRelays } from '../../../db/schema.pg.js';
import type { ClientRelaysPort } from '../../clients/ports.js';
import type { NewEvent } from '../../events/model.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

export class PostgresClientRelays implements ClientRelaysPort {
  constructor(private readonly db: PgDb) {}

  async set(
    clientId: string,
    relay: { smtpUrlSealed: string; shown: string; updatedAt: number },
    events: NewEvent[],
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .insert(clientRelays)
        .values({ clientId, ...relay })
        .onConflictDoUpdate({ target: clientRelays.clientId, set: relay });
      await writeEvents(tx, events);
    });
  }

  clear(clientId: string, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const cleared = await tx
        .delete(clientRelays)
        .where(eq(clientRelays.clientId, clientId))
        .returning({ id: clientRelays.clientId });
      if (cleared.length > 0) await writeEvents(tx, events);
      return cleared.length > 0;
    });
  }

  async get(clientId: string) {
    const [row] = await this.db
      .select({ smtpUrlSealed: clientRelays.smtpUrlSealed, shown: clientRelays.shown })
      .from(clientRelays)
      .where(eq(clientRelays.clientId, clientId));
    return row;
  }
}
