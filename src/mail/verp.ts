// VERP: each mail leaves with its own return path, bounce+<outbox id>-<tag>@BOUNCE_DOMAIN,
// so a bounce that arrives later names the mail it is about. The tag is an HMAC of the id:
// a forged bounce cannot name a mail it has not seen the return path of.
import { createHmac, timingSafeEqual } from 'node:crypto';

const tagOf = (key: Buffer, outboxId: number) =>
  createHmac('sha256', key).update(`verp:${outboxId}`).digest('base64url').slice(0, 16).toLowerCase();

export function returnPath(key: Buffer, domain: string, outboxId: number): string {
  return `bounce+${outboxId}-${tagOf(key, outboxId)}@${domain}`;
}

/** The outbox id a return path names, when its tag is right (for any of the keys). */
export function outboxIdFrom(keys: Buffer[], domain: string, address: string): number | undefined {
  const match = /^bounce\+([1-9][0-9]{0,15})-([a-z0-9_-]{16})@(.+)$/i.exec(address.trim());
  if (!match || match[3]!.toLowerCase() !== domain.toLowerCase()) return undefined;
  const id = Number(match[1]);
  const tag = Buffer.from(match[2]!.toLowerCase());
  return keys.some((key) => timingSafeEqual(Buffer.from(tagOf(key, id)), tag)) ? id : undefined;
}
