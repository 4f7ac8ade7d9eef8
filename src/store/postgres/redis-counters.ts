// The bucketed limit counters (mails per domain, the global ceiling, wrong codes per
// address) in Redis, one key per bucket: every send increments the same few counters, and in
// Redis that is one atomic INCR instead of a row all replicas wait on until commit. Each
// call is one pipeline, so one round trip. A bucket key expires on its own once its window
// has passed.
import type { Redis } from 'ioredis';
import { bucketsPerWindow } from '../../verification/limits.js';
import type { BucketRow, CounterEvent, CounterRead } from '../../verification/ports.js';

export interface SharedCounters {
  /**
   * Counts `events`, then reads `reads`, in one round trip; the buckets come back as they
   * were before these events (count first, check after: exact across processes).
   */
  countAndRead(events: CounterEvent[], reads: CounterRead[]): Promise<Record<string, BucketRow[]>>;
  count(events: CounterEvent[]): Promise<void>;
  uncount(events: CounterEvent[]): Promise<void>;
}

export function redisCounters(redis: Redis, prefix: string): SharedCounters {
  const keyOf = (key: string, bucket: number) => `${prefix}counter:${key}:${bucket}`;
  const ttl = (windowMs: number) => windowMs + windowMs / bucketsPerWindow;
  const bucketsOf = (read: CounterRead) => Array.from({ length: bucketsPerWindow }, (_, i) => read.since + i * (read.windowMs / bucketsPerWindow));
  return {
    async countAndRead(events, reads) {
      const pipeline = redis.pipeline();
      for (const e of events) pipeline.incr(keyOf(e.key, e.bucket)).pexpire(keyOf(e.key, e.bucket), ttl(e.windowMs));
      for (const r of reads) pipeline.mget(bucketsOf(r).map((bucket) => keyOf(r.key, bucket)));
      const replies = (await pipeline.exec()) ?? [];
      for (const [error] of replies) if (error) throw error;
      const counts = replies.slice(events.length * 2).map(([, value]) => value as (string | null)[]);
      const result: Record<string, BucketRow[]> = {};
      reads.forEach((r, i) => {
        result[r.key] = bucketsOf(r).flatMap((bucket, j) => {
          const own = events.some((e) => e.key === r.key && e.bucket === bucket) ? 1 : 0;
          const count = Number(counts[i]![j] ?? 0) - own;
          return count > 0 ? [{ bucket, count }] : [];
        });
      });
      return result;
    },
    async count(events) {
      const pipeline = redis.pipeline();
      for (const e of events) pipeline.incr(keyOf(e.key, e.bucket)).pexpire(keyOf(e.key, e.bucket), ttl(e.windowMs));
      await pipeline.exec();
    },
    async uncount(events) {
      const pipeline = redis.pipeline();
      for (const e of events) pipeline.decr(keyOf(e.key, e.bucket));
      await pipeline.exec();
    },
  };
}
