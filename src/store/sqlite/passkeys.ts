// Passkeys on SQLite: each change one IMMEDIATE transaction with its events; a challenge is
// taken by one DELETE … RETURNING, so it is never used twice.
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { outbox, passkeyChallenges, passkeySettings, passkeys } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { Challenge, Passkey, PasskeySettings } from '../../passkeys/model.js';
import type { PasskeysPort } from '../../passkeys/ports.js';
import type { QueuedNotice } from '../../people/notices.js';
import { noticeRow } from '../notice-row.js';
import { passkeyRow, passkeySettingsRow, toChallenge, toPasskey, toPasskeySettings } from '../passkey-row.js';
import { writeEvents } from './events.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqlitePasskeys implements PasskeysPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  private inTransaction<T>(work: () => T): T {
    return this.db.$client.transaction(work).immediate();
  }

  async settings(clientId: string) {
    const row = this.db.select().from(passkeySettings).where(eq(passkeySettings.clientId, clientId)).get();
    return row && toPasskeySettings(row);
  }

  async saveSettings(settings: PasskeySettings, events: NewEvent[]) {
    const row = passkeySettingsRow(settings);
    this.inTransaction(() => {
      this.db
        .insert(passkeySettings)
        .values(row)
        .onConflictDoUpdate({ target: passkeySettings.clientId, set: row })
        .run();
      writeEvents(this.statements, events);
    });
  }

  async addChallenge(challenge: Challenge) {
    this.db.insert(passkeyChallenges).values(challenge).run();
  }

  async takeChallenge(clientId: string, hash: string) {
    const row = this.db
      .delete(passkeyChallenges)
      .where(and(eq(passkeyChallenges.hash, hash), eq(passkeyChallenges.clientId, clientId)))
      .returning()
      .get();
    return row && toChallenge(row);
  }

  async dropExpiredChallenges(now: number, limit: number) {
    const expired = this.db
      .select({ hash: passkeyChallenges.hash })
      .from(passkeyChallenges)
      .where(lt(passkeyChallenges.expiresAt, now))
      .limit(limit);
    return this.db.delete(passkeyChallenges).where(inArray(passkeyChallenges.hash, expired)).run().changes;
  }

  async add(passkey: Passkey, events: NewEvent[], notice?: QueuedNotice) {
    this.inTransaction(() => {
      this.db.insert(passkeys).values(passkeyRow(passkey)).run();
      if (notice) this.db.insert(outbox).values(noticeRow(notice)).run();
      writeEvents(this.statements, events);
    });
  }

  async byCredential(clientId: string, credentialId: string) {
    const row = this.db
      .select()
      .from(passkeys)
      .where(and(eq(passkeys.clientId, clientId), eq(passkeys.credentialId, credentialId)))
      .get();
    return row && toPasskey(row);
  }

  async list(clientId: string, userRef: string) {
    return this.db
      .select()
      .from(passkeys)
      .where(and(eq(passkeys.clientId, clientId), eq(passkeys.userRef, userRef)))
      .orderBy(desc(passkeys.createdAt))
      .limit(50)
      .all()
      .map(toPasskey);
  }

  async used(id: string, change: Pick<Passkey, 'counter' | 'lastUsedAt' | 'counterWentBackAt'>, events: NewEvent[]) {
    return this.inTransaction(() => {
      const found = this.db.update(passkeys).set(change).where(eq(passkeys.id, id)).run().changes > 0;
      if (found) writeEvents(this.statements, events);
      return found;
    });
  }

  async rename(clientId: string, userRef: string, id: string, name: string, events: NewEvent[]) {
    return this.inTransaction(() => {
      const row = this.db
        .update(passkeys)
        .set({ name })
        .where(and(eq(passkeys.id, id), eq(passkeys.clientId, clientId), eq(passkeys.userRef, userRef)))
        .returning()
        .get();
      if (row) writeEvents(this.statements, events);
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
    return this.inTransaction(() => {
      const removed = this.db
        .delete(passkeys)
        .where(
          and(
            eq(passkeys.clientId, clientId),
            eq(passkeys.userRef, userRef),
            ...(id === undefined ? [] : [eq(passkeys.id, id)]),
          ),
        )
        .returning()
        .all()
        .map(toPasskey);
      if (removed.length > 0) {
        if (notice) this.db.insert(outbox).values(noticeRow(notice)).run();
        writeEvents(this.statements, events(removed));
      }
      return removed;
    });
  }
}
