// Trusted browsers on PostgreSQL: each change one transaction with its events; the
// conditional UPDATE keeps a token rotated once, whoever races.
import { and, desc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import { outbox, trustedBrowsers } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { QueuedNotice } from '../../people/notices.js';
import type { TrustedBrowser, TrustEnd } from '../../trusted-browsers/model.js';
import type { TrustedBrowsersPort } from '../../trusted-browsers/ports.js';
import { noticeRow } from '../notice-row.js';
import { toTrustedBrowser } from '../trusted-browser-row.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

export class PostgresTrustedBrowsers implements TrustedBrowsersPort {
  constructor(private readonly db: PgDb) {}

  async add(browser: TrustedBrowser, events: NewEvent[], notice?: QueuedNotice) {
    await this.db.transaction(async (tx) => {
      await tx.insert(trustedBrowsers).values(browser);
      if (notice) await tx.insert(outbox).values(noticeRow(notice));
      await writeEvents(tx, events);
    });
  }

  async byToken(clientId: string, userRef: string, hashes: string[]) {
    const [row] = await this.db
      .select()
      .from(trustedBrowsers)
      .where(
        and(
          eq(trustedBrowsers.clientId, clientId),
          eq(trustedBrowsers.userRef, userRef),
          or(inArray(trustedBrowsers.tokenHash, hashes), inArray(trustedBrowsers.previousTokenHash, hashes)),
        ),
      )
      .limit(1);
    return row && toTrustedBrowser(row);
  }

  async rotate(id: string, from: string, to: string, now: number, events: NewEvent[]) {
    return this.db.transaction(async (tx) => {
      const moved = await tx
        .update(trustedBrowsers)
        .set({ tokenHash: to, previousTokenHash: from, lastUsedAt: now })
        .where(and(eq(trustedBrowsers.id, id), eq(trustedBrowsers.tokenHash, from), isNull(trustedBrowsers.endedAt)))
        .returning({ id: trustedBrowsers.id });
      if (moved.length > 0) await writeEvents(tx, events);
      return moved.length > 0;
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
    return this.db.transaction(async (tx) => {
      const ended = (
        await tx
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
      ).map(toTrustedBrowser);
      await writeEvents(tx, events(ended));
      return ended.length;
    });
  }

  async list(clientId: string, userRef: string) {
    const rows = await this.db
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
      .limit(50);
    return rows.map(toTrustedBrowser);
  }
}
