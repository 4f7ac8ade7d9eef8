import { randomBytes } from 'node:crypto';

/** Random, URL-safe identifiers with a prefix that says what they name. */
export function newId(prefix: 'vf' | 'cl' | 'te' | 'as' | 'ev' | 'wh', bytes = 16): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/**
 * An identifier that sorts by creation time: 6 bytes of milliseconds, then 10 random
 * bytes (80 bits: still unguessable). Rows indexed by it are appended at the end of the
 * index instead of at a random page, which every write of an event would otherwise
 * dirty (measured: +200 µs per right code on SQLite with random event ids).
 */
export function newTimeOrderedId(prefix: 'ev', now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  return `${prefix}_${bytes.toString('base64url')}`;
}
