// A passkey authenticator in the test process: a P-256 key pair, and the answers a browser
// would hand over (RegistrationResponseJSON, AuthenticationResponseJSON) for the challenge,
// origin and relying party the test names — so a test can answer from a wrong origin, replay
// an answer, or turn the sign counter back. CBOR comes from @simplewebauthn's own helpers;
// the signature from node:crypto. The browser tests use Chromium's virtual authenticator.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

const b64 = (bytes: Uint8Array) => isoBase64URL.fromBuffer(new Uint8Array(bytes));
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** WebAuthn's authenticator-data flags. */
const flag = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 };

export interface SoftAuthenticatorOptions {
  /** A synced passkey: backup eligible and backed up (amr `swk`); else bound to this device (`hwk`). */
  synced?: boolean;
  /** Whether the authenticator verified the person (PIN, fingerprint). */
  userVerified?: boolean;
  /** The AAGUID it states (all zeros: it does not say). */
  aaguid?: string;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  /** The sign counter the next answer carries (a test may set it back). */
  counter = 0;
  userHandle: string | undefined;

  constructor(private readonly options: SoftAuthenticatorOptions = {}) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  get id(): string {
    return b64(this.credentialId);
  }

  private flags(extra = 0) {
    let f = flag.up | extra;
    if (this.options.userVerified ?? true) f |= flag.uv;
    if (this.options.synced) f |= flag.be | flag.bs;
    return f;
  }

  private coseKey(): Uint8Array {
    const jwk = this.publicKey.export({ format: 'jwk' });
    const key = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, isoBase64URL.toBuffer(jwk.x!)],
      [-3, isoBase64URL.toBuffer(jwk.y!)],
    ]);
    return isoCBOR.encode(key);
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string) {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** The answer to `navigator.credentials.create` with these options (the test's origin). */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin: string) {
    this.userHandle = options.user.id;
    const aaguid = Buffer.from(
      (this.options.aaguid ?? '00000000-0000-0000-0000-000000000000').replace(/-/g, ''),
      'hex',
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(options.rp.id!),
      Buffer.from([this.flags(flag.at)]),
      u32(this.counter),
      aaguid,
      idLength,
      this.credentialId,
      this.coseKey(),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]) as never,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64(this.clientData('webauthn.create', options.challenge, origin)),
        attestationObject: b64(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  /** The answer to `navigator.credentials.get` with these options; the counter moves on by one first. */
  authenticate(options: { challenge: string; rpId?: string }, origin: string, rpId = options.rpId!) {
    // Synced passkeys keep their counter at 0, as the big providers do.
    if (!this.options.synced) this.counter += 1;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags()]), u32(this.counter)]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}
