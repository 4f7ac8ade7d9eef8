// Webhook endpoints and deliveries on SQLite (one process: claims need no SKIP LOCKED).
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, max, sql } from 'drizzle-orm';
import { events, webhookDeliveries, webhookEndpoints } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { NewWebhookEndpoint } from '../../webhooks/model.js';
import { handOn } from '../../webhooks/fan-out.js';
import type { DeliveredWebhook, FanOutRequest, WebhooksPort } from '../../webhooks/ports.js';
import { toEndpoint, toEvent, toRecentDelivery } from '../rows.js';
import { writeEvents } from './events.js';
import type { GroupCommit } from './group-commit.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

const d = webhookDeliveries;

export class SqliteWebhooks implements WebhooksPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
    private readonly group: GroupCommit,
  ) {}

  async create(e: NewWebhookEndpoint, written: NewEvent[] = []) {
    return this.group.run(() => {
      writeEvents(this.statements, written);
      // A new endpoint hears what happens from now on (replayFrom hands it older events).
      const cursorSeq =
        this.db
          .select({ seq: max(events.seq) })
          .from(events)
          .get()?.seq ?? 0;
      const row = this.db
        .insert(webhookEndpoints)
        .values({ ...e, eventTypes: JSON.stringify(e.eventTypes), status: 'active', cursorSeq })
        .returning()
        .get();
      return toEndpoint(row);
    });
  }

  async list(clientId?: string) {
    const rows = this.db
      .select()
      .from(webhookEndpoints)
      .where(clientId === undefined ? undefined : eq(webhookEndpoints.clientId, clientId))
      .orderBy(asc(webhookEndpoints.createdAt))
      .all();
    return rows.map(toEndpoint);
  }

  async get(id: string) {
    const row = this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
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
    return this.db
      .select(columns)
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpointId))
      .orderBy(desc(webhookDeliveries.id))
      .limit(limit)
      .all()
      .map(toRecentDelivery);
  }

  remove(id: string, written: NewEvent[] = []) {
    return this.group.run(() => {
      const removed = this.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).run().changes > 0;
      if (removed) writeEvents(this.statements, written);
      return removed;
    });
  }

  rotateSecret(id: string, secretSealed: string, written: NewEvent[] = []) {
    return this.group.run(() => {
      const rotated =
        this.db.update(webhookEndpoints).set({ secretSealed }).where(eq(webhookEndpoints.id, id)).run().changes > 0;
      if (rotated) writeEvents(this.statements, written);
      return rotated;
    });
  }

  fanOut(r: FanOutRequest): Promise<number> {
    return this.group.run(() => {
      const active = this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.status, 'active')).all();
      if (active.length === 0) return 0;
      const from = Math.min(...active.map((e) => e.cursorSeq));
      const positions = this.db
        .select({ seq: events.seq, at: events.createdAt })
        .from(events)
        .where(gt(events.seq, from))
        .orderBy(asc(events.seq))
        .limit(5_000)
        .all();
      const until = r.horizon(positions, from, r.now);
      let queued = 0;
      for (const endpoint of active) {
        if (endpoint.cursorSeq >= until) continue;
        const batch = this.db
          .select()
          .from(events)
          .where(
            and(eq(events.clientId, endpoint.clientId), gt(events.seq, endpoint.cursorSeq), lte(events.seq, until)),
          )
          .orderBy(asc(events.seq))
          .limit(r.limit)
          .all()
          .map(toEvent);
        const { heard, cursor: cursorSeq } = handOn(JSON.parse(endpoint.eventTypes) as string[], batch, r.limit, until);
        if (heard.length > 0) {
          this.db
            .insert(d)
            .values(
              heard.map((e) => ({
                endpointId: endpoint.id,
                eventId: e.id,
                subject: e.subject,
                payload: r.payload(e),
                status: 'pending',
                nextAttemptAt: r.now,
                createdAt: r.now,
              })),
            )
            .run();
        }
        this.db.update(webhookEndpoints).set({ cursorSeq }).where(eq(webhookEndpoints.id, endpoint.id)).run();
        queued += heard.length;
      }
      return queued;
    });
  }

  async replayFrom(endpointId: string, eventId: string) {
    const endpoint = this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)).get();
    const from =
      endpoint &&
      this.db
        .select({ seq: events.seq })
        .from(events)
        .where(and(eq(events.id, eventId), eq(events.clientId, endpoint.clientId)))
        .get();
    if (!from) return false;
    this.db
      .update(webhookEndpoints)
      .set({ cursorSeq: from.seq - 1 })
      .where(eq(webhookEndpoints.id, endpointId))
      .run();
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
    return this.group.run(() => {
      this.db
        .insert(d)
        .values({ endpointId, eventId, subject, payload, status: 'pending', nextAttemptAt: now, createdAt: now })
        .run();
      writeEvents(this.statements, written);
    });
  }

  async claimDue(now: number, leaseMs: number, limit: number) {
    // The oldest pending delivery of each endpoint and subject, when it is due.
    const first = sql`not exists (select 1 from webhook_deliveries older where older.endpoint_id = ${d.endpointId} and older.subject = ${d.subject} and older.status = 'pending' and older.id < ${d.id})`;
    const due = this.db
      .select({ id: d.id })
      .from(d)
      .where(and(eq(d.status, 'pending'), lte(d.nextAttemptAt, now), lte(d.leaseUntil, now), first))
      .orderBy(asc(d.id))
      .limit(limit);
    const claimed = this.db
      .update(d)
      .set({ leaseUntil: now + leaseMs })
      .where(inArray(d.id, due))
      .returning({ id: d.id })
      .all();
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
      .orderBy(asc(d.id))
      .all();
  }

  markDelivered(delivered: DeliveredWebhook[], now: number) {
    return this.group.run(() => {
      const endpoints = new Set<string>();
      for (const { id, status } of delivered) {
        const row = this.db
          .update(d)
          .set({
            status: 'delivered',
            deliveredAt: now,
            lastStatus: status,
            lastError: null,
            leaseUntil: 0,
            attempts: sql`${d.attempts} + 1`,
          })
          .where(eq(d.id, id))
          .returning({ endpointId: d.endpointId })
          .get();
        if (row) endpoints.add(row.endpointId);
      }
      if (endpoints.size > 0)
        this.db
          .update(webhookEndpoints)
          .set({ failingSince: null })
          .where(and(inArray(webhookEndpoints.id, [...endpoints]), isNotNull(webhookEndpoints.failingSince)))
          .run();
    });
  }

  markRetry(id: number, now: number, nextAttemptAt: number, error: string) {
    return this.group.run(() => this.failed(id, now, { nextAttemptAt, lastError: error }));
  }

  markFailed(id: number, now: number, error: string) {
    return this.group.run(() => this.failed(id, now, { status: 'failed', lastError: error }));
  }

  private failed(id: number, now: number, set: { nextAttemptAt?: number; status?: string; lastError: string }) {
    const row = this.db
      .update(d)
      .set({ ...set, leaseUntil: 0, attempts: sql`${d.attempts} + 1` })
      .where(eq(d.id, id))
      .returning({ endpointId: d.endpointId })
      .get();
    if (row)
      this.db
        .update(webhookEndpoints)
        .set({ failingSince: now })
        .where(and(eq(webhookEndpoints.id, row.endpointId), isNull(webhookEndpoints.failingSince)))
        .run();
  }

  disable(id: string, now: number, reason: string, list: NewEvent[]) {
    return this.group.run(() => {
      const changed =
        this.db
          .update(webhookEndpoints)
          .set({ status: 'disabled', disabledAt: now, disabledReason: reason })
          .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.status, 'active')))
          .run().changes > 0;
      if (changed) writeEvents(this.statements, list);
      return changed;
    });
  }

  async countPending() {
    return this.db.select({ n: sql<number>`count(*)` }).from(d).where(eq(d.status, 'pending')).get()?.n ?? 0;
  }
}
