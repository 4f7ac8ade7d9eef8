// Console sessions kept in a Map: the port as the stores implement it, for the domain's tests.
import type { ConsoleSession, ConsoleSessionsPort } from '../../src/operators/sessions.js';

export function memorySessions() {
  const rows = new Map<string, ConsoleSession>();
  const port: ConsoleSessionsPort = {
    create: async (s) => void rows.set(s.idHash, { ...s }),
    get: async (idHash) => rows.get(idHash),
    async advance(idHash, next) {
      const s = rows.get(idHash);
      if (!s) return false;
      rows.delete(idHash);
      rows.set(next.idHash, { ...s, idHash: next.idHash, stage: next.stage, lastSeenAt: next.at });
      return true;
    },
    touch: async (idHash, at) => void (rows.get(idHash) && (rows.get(idHash)!.lastSeenAt = at)),
    remove: async (idHash) => void rows.delete(idHash),
    async removeAllOf(operatorId) {
      const mine = [...rows.values()].filter((s) => s.operatorId === operatorId);
      for (const s of mine) rows.delete(s.idHash);
      return mine.length;
    },
    async removeEnded(cutoffs) {
      const old = [...rows.values()].filter((s) => s.lastSeenAt <= cutoffs.seenBy || s.createdAt <= cutoffs.begunBy);
      for (const s of old) rows.delete(s.idHash);
      return old.length;
    },
  };
  return { rows, port };
}
