// The hot bucketed limit counters (mails per recipient domain, the global ceiling) in
// Redis: every send increments the same few counters, and in Redis that is one
// atomic HINCRBY instead of a row all replicas wait on until commit. A counter is one hash,
// a field per bucket, so reading a window is one HGETALL (not sixty keys); each count also
// drops the field that has just left the window, and a counter nobody counts in for a
// whole window expires. Each call is one pipeline, so one round trip.
import type { Redis } from 'ioredis';
import { bucketsPerWindow } from '../../verification/limits.js';
import type { BucketRow, CounterIncrement, CounterRead } from '../../verification/ports.js';

export interface SharedCounters {
  /**
   * Counts `increments`, then reads `reads`, in one round trip; the buckets come back as they
   * were before these increments (count first, check after: exact across processes).
   */
  countAndRead(increments: CounterIncrement[], reads: CounterRead[]): Promise<Record<string, BucketRow[]>>;
  uncount(increments: CounterIncrement[]): Promise<void>;
}

export function redisCounters(redis: Redis, prefix: string): SharedCounters {
  const hashOf = (key: string) => `${prefix}counter:${key}`;
  const count = (pipeline: ReturnType<Redis['pipeline']>, e: CounterIncrement) =>
    pipeline
      .hincrby(hashOf(e.key), String(e.bucket), 1)
      .pexpire(hashOf(e.key), e.windowMs + e.windowMs / bucketsPerWindow)
      .hdel(hashOf(e.key), String(e.bucket - e.windowMs));
  const run = async (pipeline: ReturnType<Redis['pipeline']>) => {
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    return replies.map(([, value]) => value);
  };
  return {
    async countAndRead(increments, reads) {
      const pipeline = redis.pipeline();
      for (const e of increments) count(pipeline, e);
      for (const r of reads) pipeline.hgetall(hashOf(r.key));
      const hashes = (await run(pipeline)).slice(increments.length * 3) as Record<string, string>[];
      const result: Record<string, BucketRow[]> = {};
      reads.forEach((r, i) => {
        result[r.key] = Object.entries(hashes[i] ?? {}).flatMap(([field, value]) => {
          const bucket = Number(field);
          const own = increments.some((e) => e.key === r.key && e.bucket === bucket) ? 1 : 0;
          const n = Number(value) - own;
          return bucket >= r.since && n > 0 ? [{ bucket, count: n }] : [];
        });
      });
      return result;
    },
    async uncount(increments) {
      const pipeline = redis.pipeline();
      for (const e of increments) pipeline.hincrby(hashOf(e.key), String(e.bucket), -1);
      await run(pipeline);
    },
  };
}
