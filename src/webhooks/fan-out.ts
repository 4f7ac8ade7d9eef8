// How far a fan-out may hand events on. An event's position is given when it is written but
// becomes visible when its transaction commits, and on PostgreSQL a later position can
// commit first: a gap in the positions may be a write still in flight. Handing on past it
// would skip that event for good, so a fan-out stops at a gap until the event after it is
// `gapGraceMs` old — by then the missing write has rolled back (every write that records
// events is one short statement or transaction). Positions are global (every client's
// events), so the horizon is worked out once per pass, over all of them.

export const gapGraceMs = 10_000;

/**
 * The last position up to which every event is visible: `positions` are the events after
 * `from`, oldest first (as many as were read), `now` the time of the pass.
 */
export function horizon(positions: { seq: number; at: number }[], from: number, now: number): number {
  let last = from;
  for (const p of positions) {
    if (p.seq !== last + 1 && now - p.at < gapGraceMs) break;
    last = p.seq;
  }
  return last;
}

/**
 * What one endpoint takes from a batch of its client's events (oldest first, at most
 * `limit`, none past `until`): the ones of the types it hears (none listed: every type),
 * and where its cursor moves — past the whole batch, or to the horizon when the batch
 * ended before it (the positions between are other clients' events).
 */
export function handOn<E extends { seq: number; type: string }>(
  eventTypes: readonly string[],
  batch: E[],
  limit: number,
  until: number,
): { heard: E[]; cursor: number } {
  return {
    heard: batch.filter((e) => eventTypes.length === 0 || eventTypes.includes(e.type)),
    cursor: batch.length === limit ? batch[batch.length - 1]!.seq : until,
  };
}
