import { Type } from 'typebox';
import { BrowserBinding, DateTime, UserRef } from './common.js';

export const TrustedBrowserId = Type.String({ pattern: '^tb_[A-Za-z0-9_-]{1,60}$', maxLength: 64 });
export const PersonBrowsersParams = Type.Object({ userRef: UserRef });
export const TrustedBrowserParams = Type.Object({ userRef: UserRef, id: TrustedBrowserId });

/** What the browser keeps beside its cookie: 43 characters, rotated at every use. */
const BrowserToken = Type.String({
  pattern: '^[A-Za-z0-9_-]{43}$',
  description:
    "The trusted browser's token (43 characters), kept by the browser beside its cookie; replaced at every use.",
});

export const TrustBrowserRequest = Type.Object(
  {
    browserBinding: BrowserBinding,
    label: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[^\\u0000-\\u001f\\u007f]+$',
      description:
        'How the person will recognise the browser ("Firefox on Windows"): shown in the notice and the lists.',
    }),
  },
  { additionalProperties: false },
);

export const TrustedBrowser = Type.Object(
  {
    id: TrustedBrowserId,
    label: Type.String(),
    createdAt: DateTime,
    lastUsedAt: DateTime,
    expiresAt: DateTime,
  },
  { additionalProperties: false },
);

export const TrustedBrowserCreated = Type.Object(
  { ...TrustedBrowser.properties, token: BrowserToken },
  { additionalProperties: false },
);

export const TrustedSignInRequest = Type.Object(
  { token: BrowserToken, browserBinding: BrowserBinding },
  { additionalProperties: false },
);

export const TrustedSignIn = Type.Object(
  {
    verified: Type.Literal(true),
    method: Type.Literal('trusted_browser'),
    assertion: Type.String({
      description:
        'EdDSA JWT: sub and user_ref = userRef, aud = client id, verification_method trusted_browser, trusted_browser = its id, acr urn:mailcode:acr:trusted-browser, amr [] (no factor was checked now).',
    }),
    expiresAt: DateTime,
    token: {
      ...BrowserToken,
      description: 'The token that replaces the one sent: keep it; the old one now ends the trust if shown again.',
    },
    trustedUntil: DateTime,
  },
  { additionalProperties: false },
);

export const TrustedBrowserList = Type.Object(
  { trustedBrowsers: Type.Array(TrustedBrowser, { description: 'Trusted now, newest first.' }) },
  { additionalProperties: false },
);
