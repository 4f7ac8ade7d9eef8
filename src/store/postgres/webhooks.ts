// Webhook endpoints and deliveries on PostgreSQL, shared by every replica: a fan-out locks
// the endpoints it works on (SKIP LOCKED: replicas take different ones, never the same
// twice), claims take due deliveries with SKIP LOCKED plus a lease, and a subject's next
// delivery is not claimable while an older one of it is pending — so order holds per subject.
import { and, asc, desc, eq, gt, inArray, lte, max, sql } from 'drizzle-orm';
import { events, webhookDeliveries, webhookEndpoints } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { NewWebhookEndpoint } from '../../webhooks/model.js';
import { handOn } from '../../webhooks/fan-out.js';
import type { DeliveredWebhook, FanOutRequest, WebhooksPort } from '../../webhooks/ports.js';
import { toEndpoint, toEvent, toRecentDelivery } from '../rows.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

const d = webhookDeliveries;

export class PostgresWebhooks implements WebhooksPort {
  constructor(private readonly db: PgDb) {}

  async create(e: NewWebhookEndpoint, written: NewEvent[] = []) {
    return this.db.transaction(async (tx) => {
      await writeEvents(tx, written);
      // A new endpoint hears what happens from now on (replayFrom hands it older events).
      const [last] = await tx.select({ seq: max(events.seq) }).from(events);
      const [row] = await tx
        .insert(webhookEndpoints)
        .values({ ...e, eventTypes: JSON.stringify(e.eventTypes), status: 'active', cursorSeq: Number(last?.seq ?? 0) })
        .returning();
      return toEndpoint(row!);
    });
  }

  async list(clientId?: string) {
    const rows = await this.db
      .select()
      .from(webhookEndpoints)
      .where(clientId === undefined ? undefined : eq(webhookEndpoints.clientId, clientId))
      .orderBy(asc(webhookEndpoints.createdAt));
    return rows.map(toEndpoint);
  }

  async get(id: string) {
    const [row] = await this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    return row ? toEndpoint(row) : undefined;
  }

  async recentDeliveries(endpointId: string, limit: number) {
    const columns = {
      eventId: webhookDeliveries.eventId,
      payload: webhookDeliveries.payload,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastStatus: webhookDeliveries.lastStatus,
      lastError: webhookDeliveries.lastError,
      createdAt: webhookDeliveries.createdAt,
      deliveredAt: webhookDeliveries.deliveredAt,
    };
    return (
      await this.db
        .select(columns)
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, endpointId))
        .orderBy(desc(webhookDeliveries.id))
        .limit(limit)
    ).map(toRecentDelivery);
  }

  remove(id: string, written: NewEvent[] = []) {
    return this.db.transaction(async (tx) => {
      const removed =
        (await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id }))
          .length > 0;
      if (removed) await writeEvents(tx, written);
      return removed;
    });
  }

  rotateSecret(id: string, secretSealed: string, written: NewEvent[] = []) {
    return this.db.transaction(async (tx) => {
      const rotated =
        (
          await tx
            .update(webhookEndpoints)
            .set({ secretSealed })
            .where(eq(webhookEndpoints.id, id))
            .returning({ id: webhookEndpoints.id })
        ).length > 0;
      if (rotated) await writeEvents(tx, written);
      return rotated;
    });
  }

  fanOut(r: FanOutRequest): Promise<number> {
    return this.db.transaction(async (tx) => {
      const active = await tx
        .select()
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.status, 'active'))
        .for('update', { skipLocked: true });
      if (active.length === 0) return 0;
      const from = Math.min(...active.map((e) => e.cursorSeq));
      const positions = await tx
        .select({ seq: events.seq, at: events.createdAt })
        .from(events)
        .where(gt(events.seq, from))
        .orderBy(asc(events.seq))
        .limit(5_000);
      const until = r.horizon(positions, from, r.now);
      let queued = 0;
      for (const endpoint of active) {
        if (endpoint.cursorSeq >= until) continue;
        const batch = (
          await tx
            .select()
            .from(events)
            .where(
              and(eq(events.clientId, endpoint.clientId), gt(events.seq, endpoint.cursorSeq), lte(events.seq, until)),
            )
            .orderBy(asc(events.seq))
            .limit(r.limit)
        ).map(toEvent);
        const { heard, cursor: cursorSeq } = handOn(JSON.parse(endpoint.eventTypes) as string[], batch, r.limit, until);
        if (heard.length > 0) {
          await tx.insert(d).values(
            heard.map((e) => ({
              endpointId: endpoint.id,
              eventId: e.id,
              subject: e.subject,
              payload: r.payload(e),
              status: 'pending',
              nextAttemptAt: r.now,
              createdAt: r.now,
            })),
          );
        }
        await tx.update(webhookEndpoints).set({ cursorSeq }).where(eq(webhookEndpoints.id, endpoint.id));
        queued += heard.length;
      }
      return queued;
    });
  }

  async replayFrom(endpointId: string, eventId: string) {
    const [endpoint] = await this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    if (!endpoint) return false;
    const [from] = await this.db
      .select({ seq: events.seq })
      .from(events)
      .where(and(eq(events.id, eventId), eq(events.clientId, endpoint.clientId)));
    if (!from) return false;
    await this.db
      .update(webhookEndpoints)
      .set({ cursorSeq: from.seq - 1 })
      .where(eq(webhookEndpoints.id, endpointId));
    return true;
  }

  enqueue(
    endpointId: string,
    eventId: string,
    subject: string,
    payload: string,
    now: number,
    written: NewEvent[] = [],
  ) {
    return this.db.transaction(async (tx) => {
      await tx
        .insert(d)
        .values({ endpointId, eventId, subject, payload, status: 'pending', nextAttemptAt: now, createdAt: now });
      await writeEvents(tx, written);
    });
  }

  async claimDue(now: number, leaseMs: number, limit: number) {
    const first = sql`not exists (select 1 from webhook_deliveries older where older.endpoint_id = ${d.endpointId} and older.subject = ${d.subject} and older.status = 'pending' and older.id < ${d.id})`;
    const due = this.db
      .select({ id: d.id })
      .from(d)
      .where(and(eq(d.status, 'pending'), lte(d.nextAttemptAt, now), lte(d.leaseUntil, now), first))
      .orderBy(asc(d.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    const claimed = await this.db
      .update(d)
      .set({ leaseUntil: now + leaseMs })
      .where(inArray(d.id, due))
      .returning({ id: d.id });
    if (claimed.length === 0) return [];
    return this.db
      .select({
        id: d.id,
        endpointId: d.endpointId,
        eventId: d.eventId,
        subject: d.subject,
        payload: d.payload,
        attempts: d.attempts,
        createdAt: d.createdAt,
        clientId: webhookEndpoints.clientId,
        url: webhookEndpoints.url,
        secretSealed: webhookEndpoints.secretSealed,
        failingSince: webhookEndpoints.failingSince,
      })
      .from(d)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, d.endpointId))
      .where(
        inArray(
          d.id,
          claimed.map((c) => c.id),
        ),
      )
      .orderBy(asc(d.id));
  }

  /**
   * One statement for a whole pass's successes (a round trip per delivery capped the rate),
   * touching an endpoint's row only when its failingSince changes — so the deliveries of
   * one endpoint never queue on its row's lock.
   */
  async markDelivered(delivered: DeliveredWebhook[], now: number) {
    if (delivered.length === 0) return;
    await this.db.$client.query({
      name: 'mc_webhooks_delivered',
      text: `with d as (
        update webhook_deliveries w set status = 'delivered', delivered_at = $1, last_status = x.status, last_error = null, lease_until = 0, attempts = w.attempts + 1
        from unnest($2::bigint[], $3::int[]) as x(id, status) where w.id = x.id returning w.endpoint_id)
      update webhook_endpoints e set failing_since = null where e.id in (select endpoint_id from d) and e.failing_since is not null`,
      values: [now, delivered.map((x) => x.id), delivered.map((x) => x.status)],
    });
  }

  markRetry(id: number, now: number, nextAttemptAt: number, error: string) {
    return this.failed(id, now, nextAttemptAt, 'pending', error);
  }

  markFailed(id: number, now: number, error: string) {
    return this.failed(id, now, null, 'failed', error);
  }

  /** One statement: the delivery's new state, and its endpoint's failingSince only when it changes. */
  private async failed(id: number, now: number, nextAttemptAt: number | null, status: string, error: string) {
    await this.db.$client.query({
      name: 'mc_webhook_failed',
      text: `with d as (
        update webhook_deliveries set status = $4, next_attempt_at = coalesce($3, next_attempt_at), last_error = $5, lease_until = 0, attempts = attempts + 1
        where id = $1 returning endpoint_id)
      update webhook_endpoints w set failing_since = $2 from d where w.id = d.endpoint_id and w.failing_since is null`,
      values: [id, now, nextAttemptAt, status, error],
    });
  }

  disable(id: string, now: number, reason: string, list: NewEvent[]) {
    return this.db.transaction(async (tx) => {
      const changed = await tx
        .update(webhookEndpoints)
        .set({ status: 'disabled', disabledAt: now, disabledReason: reason })
        .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.status, 'active')))
        .returning({ id: webhookEndpoints.id });
      if (changed.length > 0) await writeEvents(tx, list);
      return changed.length > 0;
    });
  }

  async countPending() {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(d).where(eq(d.status, 'pending'));
    return row?.n ?? 0;
  }
}
