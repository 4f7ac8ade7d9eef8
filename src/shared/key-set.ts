// Every key mailcode derives from CODE_SECRET, derived once, each for one purpose. The
// labels are part of the data: a row sealed or hashed under one is opened with the same
// label by every later release (test/upgrade/ holds it), so a label never changes.
import { deriveKeys } from './secrets.js';

const purposes = {
  /** HMAC of the codes (bound to their verification). */
  codes: 'codes',
  /** Sealing the outbox's mails. */
  outbox: 'outbox',
  /** Per-mail return paths (VERP). */
  verp: 'verp',
  webhookSecrets: 'webhook-secrets',
  smtpRelays: 'smtp-relays',
  dkimKeys: 'dkim-keys',
  totpSecrets: 'totp-secrets',
  recoveryCodes: 'recovery-codes',
  consoleCsrf: 'console-csrf',
  signingKeys: 'signing-keys',
  /** HMAC of trusted browsers' tokens and cookie bindings. */
  trustedBrowsers: 'trusted-browsers',
} as const;

/** One list per purpose, newest secret first: the first seals and hashes, any of them opens. */
export type KeySet = { readonly [P in keyof typeof purposes]: Buffer[] };

export function deriveKeySet(secrets: readonly string[]): KeySet {
  return Object.fromEntries(
    Object.entries(purposes).map(([name, label]) => [name, deriveKeys(secrets, label)]),
  ) as unknown as KeySet;
}
