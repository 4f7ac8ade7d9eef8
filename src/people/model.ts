// A person of a client: the portal's user reference, and what proves them — the company
// addresses they proved with a code or a link, their authenticator app, and (as they come)
// other factors. mailcode keeps no profile: the portal owns the person, mailcode the proofs.
import type { Purpose } from '../verification/model.js';

export type { ProvenAddress } from '../verification/proven.js';

/** A person as the portal and support see them: every proof, one answer. */
export interface Person {
  userRef: string;
  /** Newest proof first. */
  addresses: { email: string; purpose: Purpose; provenAt: number; verificationId: string }[];
  /** The authenticator app, when one is enabled. */
  authenticator: { enabledAt: number | null } | null;
  /** A recovery by email under way (recovery/): waiting for its code, or for its end. */
  recovery: PendingRecovery | null;
  /** Their passkeys (passkeys/), newest first. */
  passkeys: PersonPasskey[];
}

/** A passkey as the person's answer shows it (passkeys/ fills it): never its key or credential id. */
export interface PersonPasskey {
  id: string;
  name: string;
  provider: string | null;
  aaguid: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
  counterWentBackAt: number | null;
}

/** What a person's answer says of a recovery under way. */
export interface PendingRecovery {
  id: string;
  status: 'code_sent' | 'waiting';
  /** When the app goes (a waiting one). */
  completesAt: number | null;
}

/** A portal's user reference as logs show it: never the whole of it. */
export const maskUserRef = (userRef: string) =>
  userRef.length <= 4 ? '***' : `${userRef.slice(0, 2)}***${userRef.slice(-2)}`;

/** The address a notice about the person goes to: the one proven last, with the language it was proven in. */
export interface NoticeAddress {
  email: string;
  locale: string | null;
}
