// Trusted browsers on SQLite: each change one IMMEDIATE transaction with its events.
import { and, desc, eq, gt, isNull, or, inArray } from 'drizzle-orm';
import { outbox, trustedBrowsers } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { QueuedNotice } from '../../people/notices.js';
import type { TrustedBrowser, TrustEnd } from '../../trusted-browsers/model.js';
import type { TrustedBrowsersPort } from '../../trusted-browsers/ports.js';
import { noticeRow } from '../notice-row.js';
import { toTrustedBrowser } from '../trusted-browser-row.js';
import { writeEvents } from './events.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqliteTrustedBrowsers implements TrustedBrowsersPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  private inTransaction<T>(work: () => T): T {
    return this.db.$client.transaction(work).immediate();
  }

  async add(browser: TrustedBrowser, events: NewEvent[], notice?: QueuedNotice) {
    this.inTransaction(() => {
      this.db.insert(trustedBrowsers).values(browser).run();
      if (notice) this.db.insert(outbox).values(noticeRow(notice)).run();
      writeEvents(this.statements, events);
    });
  }

  async byToken(clientId: string, userRef: string, hashes: string[]) {
    const row = this.db
      .select()
      .from(trustedBrowsers)
      .where(
        and(
          eq(trustedBrowsers.clientId, clientId),
          eq(trustedBrowsers.userRef, userRef),
          or(inArray(trustedBrowsers.tokenHash, hashes), inArray(trustedBrowsers.previousTokenHash, hashes)),
        ),
      )
      .get();
    return row && toTrustedBrowser(row);
  }

  async rotate(id: string, from: string, to: string, now: number, events: NewEvent[]) {
    return this.inTransaction(() => {
      const moved =
        this.db
          .update(trustedBrowsers)
          .set({ tokenHash: to, previousTokenHash: from, lastUsedAt: now })
          .where(and(eq(trustedBrowsers.id, id), eq(trustedBrowsers.tokenHash, from), isNull(trustedBrowsers.endedAt)))
          .run().changes > 0;
      if (moved) writeEvents(this.statements, events);
      return moved;
    });
  }

  async end(
    clientId: string,
    userRef: string,
    reason: TrustEnd,
    now: number,
    events: (ended: TrustedBrowser[]) => NewEvent[],
    id?: string,
  ) {
    return this.inTransaction(() => {
      const ended = this.db
        .update(trustedBrowsers)
        .set({ endedAt: now, endedReason: reason })
        .where(
          and(
            eq(trustedBrowsers.clientId, clientId),
            eq(trustedBrowsers.userRef, userRef),
            isNull(trustedBrowsers.endedAt),
            gt(trustedBrowsers.expiresAt, now),
            ...(id === undefined ? [] : [eq(trustedBrowsers.id, id)]),
          ),
        )
        .returning()
        .all()
        .map(toTrustedBrowser);
      writeEvents(this.statements, events(ended));
      return ended.length;
    });
  }

  async list(clientId: string, userRef: string) {
    return this.db
      .select()
      .from(trustedBrowsers)
      .where(
        and(
          eq(trustedBrowsers.clientId, clientId),
          eq(trustedBrowsers.userRef, userRef),
          isNull(trustedBrowsers.endedAt),
        ),
      )
      .orderBy(desc(trustedBrowsers.createdAt))
      .limit(50)
      .all()
      .map(toTrustedBrowser);
  }
}
