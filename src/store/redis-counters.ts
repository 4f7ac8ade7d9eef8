// The bucketed limit counters (mails per domain, the global ceiling, wrong codes per
// address) in Redis, one key per bucket: every send increments the same few counters, and in
// Redis that is one atomic INCR instead of a row all replicas wait on until commit.
// A bucket key expires on its own once its window has passed.
import type { Redis } from 'ioredis';
import { bucketsPerWindow } from '../verification/limits.js';
import type { AsyncOps, BucketRow } from './flows.js';

export function redisCounters(redis: Redis, prefix: string): Pick<AsyncOps, 'bucketsSince' | 'countInBucket'> {
  const keyOf = (key: string, bucket: number) => `${prefix}counter:${key}:${bucket}`;
  return {
    async bucketsSince({ key, windowMs, since }): Promise<BucketRow[]> {
      const size = windowMs / bucketsPerWindow;
      const buckets = Array.from({ length: bucketsPerWindow }, (_, i) => since + i * size);
      const counts = await redis.mget(buckets.map((bucket) => keyOf(key, bucket)));
      return buckets.flatMap((bucket, i) => (counts[i] ? [{ bucket, count: Number(counts[i]) }] : []));
    },
    async countInBucket({ key, windowMs, bucket }): Promise<void> {
      const name = keyOf(key, bucket);
      await redis.multi().incr(name).pexpire(name, windowMs + windowMs / bucketsPerWindow).exec();
    },
  };
}
