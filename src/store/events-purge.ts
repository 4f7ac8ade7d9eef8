// The audit trail's purge statement, one text for both databases (each passes its own
// parameter markers).

/**
 * Deletes up to `limit` of the events written before `cutoff`. Events are in the order of
 * seq and, give or take a commit, of time: the old ones are the rows before the first
 * young one, read in seq order — no index on the time is needed (one would cost every
 * event written a page of its own).
 */
export const deleteOldEvents = (cutoff: string, limit: string) =>
  `delete from events where seq in (select seq from events where seq < coalesce((select seq from events where created_at >= ${cutoff} order by seq limit 1), 9223372036854775807) order by seq limit ${limit})`;
