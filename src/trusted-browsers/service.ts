// Trusting a browser, and signing in with one. After a full sign-in the portal may ask to
// trust the browser: mailcode answers a token only that browser keeps (beside the cookie
// whose hash binds it), and keeps a keyed hash of each. At the next sign-in the browser's
// token stands in for the second factor — once: it is rotated, and the old one, shown
// again, ends the trust (someone copied it). Never past the client's lifetime, the idle
// limit, or the membership window (the person's last email proof); never once the person's
// factors change or their address is gone.
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type AssertionOptions, signTrustedBrowserAssertion } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { Client } from '../clients/model.js';
import { event, type RequestContext } from '../events/model.js';
import { type NoticeDeps, noticeEvents, queuedNotice } from '../people/notices.js';
import { newId } from '../shared/ids.js';
import { badBrowserBinding, bindingMatches, hashBrowserBinding, isBrowserBinding } from '../verification/links.js';
import { dayMs } from '../verification/limits.js';
import { isTrusted, type TrustedBrowser, type TrustEnd } from './model.js';
import type { TrustedBrowsersPort } from './ports.js';
import { refuse } from './refusals.js';

export interface TrustedBrowserServiceDeps {
  browsers: TrustedBrowsersPort;
  keys: KeyRing;
  assertion: AssertionOptions;
  /** Newest first: hashes tokens and bindings; any of them matches (CODE_SECRET rotation). */
  hashKeys: Buffer[];
  /** When the person last proved an address with a code or link (people/). */
  lastEmailProof(clientId: string, userRef: string): Promise<number | undefined>;
  notices: NoticeDeps;
  /** Whether the client requires a passkey sign-in (passkeys/): then no browser stands in. */
  passkeyRequired?(clientId: string): Promise<boolean>;
  now: () => number;
  logger: Logger;
}

const hashToken = (key: Buffer, token: string) =>
  createHmac('sha256', key).update('trusted\0').update(token).digest('base64url');

/** A browser as the portal and support see it: never its token or binding. */
export const shown = (b: TrustedBrowser) => ({
  id: b.id,
  label: b.label,
  createdAt: b.createdAt,
  lastUsedAt: b.lastUsedAt,
  expiresAt: b.expiresAt,
});

export class TrustedBrowserService {
  constructor(private readonly deps: TrustedBrowserServiceDeps) {}

  private event(
    type: 'trusted_browser.added' | 'trusted_browser.used' | 'trusted_browser.ended',
    b: Pick<TrustedBrowser, 'id' | 'clientId' | 'userRef' | 'label'>,
    context: RequestContext,
    data: Record<string, unknown> = {},
  ) {
    return event(type, this.deps.now(), { clientId: b.clientId, subject: b.userRef }, context, {
      trustedBrowserId: b.id,
      label: b.label,
      ...data,
    });
  }

  private async checkNoPasskeyRequired(client: Client) {
    if (await this.deps.passkeyRequired?.(client.id)) throw refuse({ kind: 'passkey_required' });
  }

  private checkBinding(browserBinding: string) {
    if (!isBrowserBinding(browserBinding)) throw refuse({ kind: 'invalid_request', detail: badBrowserBinding });
  }

  /** Trusts this browser for the person (after a full sign-in, the portal's call); its token, shown once. */
  async trust(
    client: Client,
    userRef: string,
    input: { browserBinding: string; label: string },
    context: RequestContext,
  ): Promise<{ browser: TrustedBrowser; token: string }> {
    this.checkBinding(input.browserBinding);
    await this.checkNoPasskeyRequired(client);
    const now = this.deps.now();
    const key = this.deps.hashKeys[0]!;
    const token = randomBytes(32).toString('base64url');
    const browser: TrustedBrowser = {
      id: newId('tb'),
      clientId: client.id,
      userRef,
      label: input.label.trim(),
      tokenHash: hashToken(key, token),
      previousTokenHash: null,
      bindingHash: hashBrowserBinding(key, input.browserBinding),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + client.trustedBrowserDays * dayMs,
      endedAt: null,
      endedReason: null,
    };
    const notice = await queuedNotice(
      this.deps.notices,
      client,
      userRef,
      { kind: 'browser_trusted', label: browser.label, until: browser.expiresAt },
      now,
    );
    await this.deps.browsers.add(
      browser,
      [
        this.event('trusted_browser.added', browser, context, { expiresAt: browser.expiresAt }),
        ...noticeEvents(notice, context),
      ],
      notice,
    );
    if (notice) this.deps.notices.onQueued?.();
    return { browser, token };
  }

  /**
   * The browser's token at a sign-in: the assertion that it stood in for the second factor,
   * and the token that replaces it. Anything else is refused, and the portal asks for the
   * second factor; an old token shown again ends the trust.
   */
  async signIn(
    client: Client,
    userRef: string,
    input: { token: string; browserBinding: string },
    context: RequestContext,
  ) {
    this.checkBinding(input.browserBinding);
    await this.checkNoPasskeyRequired(client);
    const now = this.deps.now();
    const hashes = this.deps.hashKeys.map((key) => hashToken(key, input.token));
    const browser = await this.deps.browsers.byToken(client.id, userRef, hashes);
    if (!browser) throw refuse({ kind: 'trusted_browser_refused' });
    const current = hashes.find((h) => h === browser.tokenHash);
    if (!current) {
      // Its token before the last rotation: a copy is in use somewhere. The trust ends.
      await this.end(client, userRef, 'replayed', context, browser.id);
      throw refuse({ kind: 'trusted_browser_refused' });
    }
    if (!isTrusted(browser, now) || !bindingMatches(this.deps.hashKeys, input.browserBinding, browser.bindingHash))
      throw refuse({ kind: 'trusted_browser_refused' });
    const provenAt = (await this.deps.lastEmailProof(client.id, userRef)) ?? null;
    if (provenAt === null || now - provenAt > client.membershipDays * dayMs)
      throw refuse({ kind: 'email_proof_needed', provenAt });
    const token = randomBytes(32).toString('base64url');
    const used = this.event('trusted_browser.used', browser, context);
    if (!(await this.deps.browsers.rotate(browser.id, current, hashToken(this.deps.hashKeys[0]!, token), now, [used])))
      throw refuse({ kind: 'trusted_browser_refused' });
    const { token: assertion, expiresAt } = await signTrustedBrowserAssertion(
      this.deps.keys,
      { clientId: client.id, userRef, trustedBrowserId: browser.id },
      this.deps.assertion,
      now,
    );
    return { assertion, expiresAt, token, browser: { ...browser, lastUsedAt: now } };
  }

  async list(client: Client, userRef: string) {
    const now = this.deps.now();
    return (await this.deps.browsers.list(client.id, userRef)).filter((b) => isTrusted(b, now)).map(shown);
  }

  /** The portal's or support's revoke: one browser, or all of the person's. */
  async revoke(client: Client, userRef: string, id: string | undefined, context: RequestContext): Promise<number> {
    const ended = await this.end(client, userRef, 'revoked', context, id);
    if (id !== undefined && ended === 0) throw refuse({ kind: 'trusted_browser_not_found' });
    return ended;
  }

  /** The person's factors changed (a reset, a recovery, a removal) or their address is gone: no browser stands in. */
  endAll(client: Client, userRef: string, reason: TrustEnd, context: RequestContext): Promise<number> {
    return this.end(client, userRef, reason, context);
  }

  private async end(client: Client, userRef: string, reason: TrustEnd, context: RequestContext, id?: string) {
    const ended = await this.deps.browsers.end(
      client.id,
      userRef,
      reason,
      this.deps.now(),
      (browsers) => browsers.map((b) => this.event('trusted_browser.ended', b, context, { reason })),
      id,
    );
    if (ended > 0)
      (context.log ?? this.deps.logger).info({ client: client.id, reason, ended }, 'trusted browsers ended');
    return ended;
  }
}
