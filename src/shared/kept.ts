// Answers kept for a short while: what is asked for again and again (a client's DKIM key
// with every mail, the list of unaligned clients with every readiness probe) is read once
// per period, and a change is seen within it. A failed read is not kept.

/** `read`'s answer, read again once it is `ms` old. */
export function keptFor<T>(ms: number, now: () => number, read: () => Promise<T>): () => Promise<T> {
  const each = keptForEach(ms, now, read);
  return () => each('');
}

/** `read(key)`'s answer per key, read again once it is `ms` old; at most `most` keys kept. */
export function keptForEach<T>(ms: number, now: () => number, read: (key: string) => Promise<T>, most = 10_000): (key: string) => Promise<T> {
  const kept = new Map<string, { until: number; value: Promise<T> }>();
  return (key) => {
    const at = now();
    const found = kept.get(key);
    if (found && found.until > at) return found.value;
    if (kept.size >= most) kept.clear();
    const value = read(key);
    kept.set(key, { until: at + ms, value });
    value.catch(() => kept.delete(key));
    return value;
  };
}
