// A client is one portal backend: its API key, the domains it may mail, how its mail looks.
import type { NoticeKind } from '../shared/notice-kinds.js';

/** What a client may change about itself: its name and how its mail looks. */
export interface ClientSettings {
  name: string;
  allowedDomains: string[];
  mailFrom: string | null;
  defaultLocale: string;
  replyTo: string | null;
  support: string | null;
  logoUrl: string | null;
  accentColor: string | null;
  codeInSubject: boolean;
  /**
   * The portal page a code mail's continue link opens (`#mc=<token>` is added); null: the
   * mail carries the code alone. https on the client's domains (see continue-url.ts).
   */
  continueUrl: string | null;
  /** The link works in any browser, not only the one that asked for the code: weaker (a mail scanner could use it). */
  continueAnyBrowser: boolean;
  /**
   * `required`: the portal should not open an account without an authenticator app; `GET
   * /totp/:userRef` says so, and the portal sends a person without one to enrolment.
   */
  secondFactor: SecondFactorPolicy;
  /** How long an address stays suppressed after one of this client's mails bounced hard (hours). */
  suppressionHours: number;
  /** Notice kinds this client does not mail (people/notices.ts); empty, the default: every notice goes out. */
  noticesOff: NoticeKind[];
  /**
   * How long a recovery by email waits before it removes the person's authenticator (hours,
   * default 24): their time to cancel it by signing in, or support's. 0 is weaker (SECURITY.md).
   */
  recoveryWaitHours: number;
  /** How long a browser the person trusted skips the second factor (days, default 30, at most 90). */
  trustedBrowserDays: number;
  /**
   * The mailbox as proof of membership: a trusted browser never stands in for a person whose
   * last email proof is older than this (days, default 30); the portal asks for a code.
   */
  membershipDays: number;
}

/**
 * mailcode's own client: its console signs operators in with the same codes and
 * authenticator apps as any portal's people. Its id has a '~', which no client id made
 * here has, so it is never listed, no operator action reaches it, and no API key is its.
 */
export const serviceClientId = '~mailcode';

export const secondFactorPolicies = ['optional', 'required'] as const;
export type SecondFactorPolicy = (typeof secondFactorPolicies)[number];

export interface Client extends ClientSettings {
  id: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface NewClient extends Partial<ClientSettings> {
  id: string;
  name: string;
  apiKeyHash: string;
  allowedDomains: string[];
  createdAt: number;
}
