import { randomBytes } from 'node:crypto';

/** Random, URL-safe identifiers with a prefix that says what they name. */
export function newId(prefix: 'vf' | 'cl' | 'te' | 'as' | 'ev' | 'wh', bytes = 16): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
