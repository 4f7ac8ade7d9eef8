// Answers kept for a short while: what is asked for again and again (a client's DKIM key
// with every mail, the list of unaligned clients with every readiness probe) is read once
// per period, and a change is seen within it. A failed read is not kept.

/** `read`'s answer, read again once it is `ms` old. */
export function keptFor<T>(ms: number, now: () => number, read: () => Promise<T>): () => Promise<T> {
  const each = keptForEach(ms, now, read, () => '');
  return () => each(undefined);
}

/**
 * `read(question)`'s answer per question, read again once it is `ms` old; questions that
 * `keyOf` names alike share an answer; at most `most` answers kept.
 */
export function keptForEach<Q, T>(
  ms: number,
  now: () => number,
  read: (question: Q) => Promise<T>,
  keyOf: (question: Q) => string,
  most = 10_000,
): (question: Q) => Promise<T> {
  const kept = new Map<string, { until: number; value: Promise<T> }>();
  return (question) => {
    const key = keyOf(question);
    const at = now();
    const found = kept.get(key);
    if (found && found.until > at) return found.value;
    if (kept.size >= most) kept.clear();
    const value = read(question);
    kept.set(key, { until: at + ms, value });
    value.catch(() => kept.delete(key));
    return value;
  };
}
