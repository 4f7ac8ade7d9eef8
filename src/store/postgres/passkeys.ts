// Passkeys on PostgreSQL: each change one transaction with its events; a challenge is taken
// by one DELETE … RETURNING, so it is never used twice, whoever races.
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { outbox, passkeyChallenges, passkeySettings, passkeys } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { Challenge, Passkey, PasskeySettings } from '../../passkeys/model.js';
import type { PasskeysPort } from '../../passkeys/ports.js';
import type { QueuedNotice } from '../../people/notices.js';
import { noticeRow } from '../notice-row.js';
import { passkeyRow, passkeySettingsRow, toChallenge, toPasskey, toPasskeySettings } from '../passkey-row.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

export class PostgresPasskeys implements PasskeysPort {
  constructor(private readonly db: PgDb) {}

  async settings(clientId: string) {
    const [row] = await this.db.select().from(passkeySettings).where(eq(passkeySettings.clientId, clientId)).limit(1);
    return row && toPasskeySettings(row);
  }

  async saveSettings(settings: PasskeySettings, events: NewEvent[]) {
    const row = passkeySettingsRow(settings);
    await this.db.transaction(async (tx) => {
      await tx.insert(passkeySettings).values(row).onConflictDoUpdate({ target: passkeySettings.clientId, set: row });
      await writeEvents(tx, events);
    });
  }

  async addChallenge(challenge: Challenge) {
    await this.db.insert(passkeyChallenges).values(challenge);
  }

  async takeChallenge(clientId: string, hash: string) {
    const [row] = await this.db
      .delete(passkeyChallenges)
      .where(and(eq(passkeyChallenges.hash, hash), eq(passkeyChallenges.clientId, clientId)))
      .returning();
    return row && toChallenge(row);
  }

  async dropExpiredChallenges(now: number, limit: number) {
    const expired = this.db
      .select({ hash: passkeyChallenges.hash })
      .from(passkeyChallenges)
      .where(lt(passkeyChallenges.expiresAt, now))
      .limit(limit);
    const dropped = await this.db
      .delete(passkeyChallenges)
      .where(inArray(passkeyChallenges.hash, expired))
      .returning({ hash: passkeyChallenges.hash });
    return dropped.length;
  }

  async add(passkey: Passkey, events: NewEvent[], notice?: QueuedNotice) {
    await this.db.transaction(async (tx) => {
      await tx.insert(passkeys).values(passkeyRow(passkey));
      if (notice) await tx.insert(outbox).values(noticeRow(notice));
      await writeEvents(tx, events);
    });
  }

  async byCredential(clientId: string, credentialId: string) {
    const [row] = await this.db
      .select()
      .from(passkeys)
      .where(and(eq(passkeys.clientId, clientId), eq(passkeys.credentialId, credentialId)))
      .limit(1);
    return row && toPasskey(row);
  }

  async list(clientId: string, userRef: string) {
    const rows = await this.db
      .select()
      .from(passkeys)
      .where(and(eq(passkeys.clientId, clientId), eq(passkeys.userRef, userRef)))
      .orderBy(desc(passkeys.createdAt))
      .limit(50);
    return rows.map(toPasskey);
  }

  async used(id: string, change: Pick<Passkey, 'counter' | 'lastUsedAt' | 'counterWentBackAt'>, events: NewEvent[]) {
    return this.db.transaction(async (tx) => {
      const found = await tx.update(passkeys).set(change).where(eq(passkeys.id, id)).returning({ id: passkeys.id });
      if (found.length > 0) await writeEvents(tx, events);
      return found.length > 0;
    });
  }

  async rename(clientId: string, userRef: string, id: string, name: string, events: NewEvent[]) {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(passkeys)
        .set({ name })
        .where(and(eq(passkeys.id, id), eq(passkeys.clientId, clientId), eq(passkeys.userRef, userRef)))
        .returning();
      if (row) await writeEvents(tx, events);
      return row && toPasskey(row);
    });
  }

  async remove(
    clientId: string,
    userRef: string,
    events: (removed: Passkey[]) => NewEvent[],
    notice?: QueuedNotice,
    id?: string,
  ) {
    return this.db.transaction(async (tx) => {
      const removed = (
        await tx
          .delete(passkeys)
          .where(
            and(
              eq(passkeys.clientId, clientId),
              eq(passkeys.userRef, userRef),
              ...(id === undefined ? [] : [eq(passkeys.id, id)]),
            ),
          )
          .returning()
      ).map(toPasskey);
      if (removed.length > 0) {
        if (notice) await tx.insert(outbox).values(noticeRow(notice));
        await writeEvents(tx, events(removed));
      }
      return removed;
    });
  }
}
