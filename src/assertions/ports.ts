// What the key ring needs of storage.

export interface SigningKeyRow {
  kid: string;
  publicJwk: string;
  privateJwkEncrypted: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface SigningKeysPort {
  /** Newest first. */
  list(): Promise<SigningKeyRow[]>;
  /** Inserts the new key and retires every older active key, atomically. */
  add(key: SigningKeyRow): Promise<void>;
  /**
   * Inserts the first key unless a key exists already, atomically: processes starting
   * together on an empty database end up with one key, not one each. False when one existed.
   */
  addFirst(key: SigningKeyRow): Promise<boolean>;
  /** Re-encrypts a key's private part (after a CODE_SECRET rotation). */
  reseal(kid: string, privateJwkEncrypted: string): Promise<void>;
}
