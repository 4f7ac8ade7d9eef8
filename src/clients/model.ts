// A client is one portal backend: its API key, the domains it may mail, how its mail looks.

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
  /** How long an address stays suppressed after one of this client's mails bounced hard (hours). */
  suppressionHours: number;
}

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
