// The purge on PostgreSQL: batches, each its own short transaction, so live traffic never waits long.
import { and, lt, sql } from 'drizzle-orm';
import { signingKeys } from '../../../db/schema.pg.js';
import type { MaintenancePort, PurgeCutoffs, PurgeResult } from '../../retention/ports.js';
import { deleteOldEvents } from '../events-purge.js';
import type { PgDb } from './open.js';

export class PostgresMaintenance implements MaintenancePort {
  constructor(private readonly db: PgDb) {}

  async purge(cutoffs: PurgeCutoffs): Promise<PurgeResult> {
    const batch = 1_000;
    const deleteBatches = async (deleteOne: () => Promise<{ rowCount: number | null }>) => {
      let total = 0;
      for (;;) {
        const deleted = (await deleteOne()).rowCount ?? 0;
        total += deleted;
        if (deleted < batch) return total;
      }
    };
    // Codes and outbox rows go with their verification (ON DELETE CASCADE).
    const old = await deleteBatches(() =>
      this.db.execute(
        sql`delete from verifications where id in (select id from verifications where expires_at < ${cutoffs.verificationsBefore} limit ${batch})`,
      ),
    );
    const notices = await deleteBatches(() =>
      this.db.execute(
        sql`delete from outbox where id in (select id from outbox where verification_id is null and expires_at < ${cutoffs.verificationsBefore} limit ${batch})`,
      ),
    );
    const events = await deleteBatches(() =>
      this.db.execute(
        sql`delete from send_events where id in (select id from send_events where created_at < ${cutoffs.sendEventsBefore} limit ${batch})`,
      ),
    );
    await deleteBatches(() =>
      this.db.execute(
        sql`delete from send_guards where key in (select key from send_guards where updated_at < ${cutoffs.sendEventsBefore} limit ${batch})`,
      ),
    );
    await deleteBatches(() =>
      this.db.execute(
        sql`delete from limit_counters where ctid in (select ctid from limit_counters where bucket < ${cutoffs.sendEventsBefore} limit ${batch})`,
      ),
    );
    const audit = await deleteBatches(() =>
      this.db.$client.query(deleteOldEvents('$1', '$2'), [cutoffs.eventsBefore, batch]),
    );
    const lifted = await deleteBatches(() =>
      this.db.execute(
        sql`delete from suppressions where ctid in (select ctid from suppressions where until < ${cutoffs.now} limit ${batch})`,
      ),
    );
    const recoveries = await deleteBatches(() =>
      this.db.execute(
        sql`delete from recoveries where id in (select id from recoveries where status <> 'waiting' and coalesce(ended_at, code_expires_at) < ${cutoffs.eventsBefore} limit ${batch})`,
      ),
    );
    const keys = await this.db
      .delete(signingKeys)
      .where(and(sql`${signingKeys.retiredAt} IS NOT NULL`, lt(signingKeys.retiredAt, cutoffs.keysRetiredBefore)))
      .returning({ kid: signingKeys.kid });
    return {
      verifications: old,
      notices,
      sendEvents: events,
      signingKeys: keys.length,
      events: audit,
      suppressions: lifted,
      recoveries,
    };
  }
}
