// Clients' own SMTP relays on SQLite.
import { eq } from 'drizzle-orm';
import { clientRelays } from '../../../db/schema.js';
import type { ClientRelaysPort } from '../../clients/ports.js';
import type { NewEvent } from '../../events/model.js';
import { writeEvents } from './events.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqliteClientRelays implements ClientRelaysPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  async set(
    clientId: string,
    relay: { smtpUrlSealed: string; shown: string; updatedAt: number },
    events: NewEvent[],
  ): Promise<void> {
    this.db.transaction((tx) => {
      tx.insert(clientRelays)
        .values({ clientId, ...relay })
        .onConflictDoUpdate({ target: clientRelays.clientId, set: relay })
        .run();
      writeEvents(this.statements, events);
    });
  }

  async clear(clientId: string, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction((tx) => {
      const cleared = tx.delete(clientRelays).where(eq(clientRelays.clientId, clientId)).run().changes > 0;
      if (cleared) writeEvents(this.statements, events);
      return cleared;
    });
  }

  async get(clientId: string) {
    return this.db
      .select({ smtpUrlSealed: clientRelays.smtpUrlSealed, shown: clientRelays.shown })
      .from(clientRelays)
      .where(eq(clientRelays.clientId, clientId))
      .get();
  }
}
