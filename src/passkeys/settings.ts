// A client's relying party, checked where it is set (the CLI and the console go through
// PasskeyService.setUp): a typo is refused before a browser refuses every ceremony.
import { domainToASCII } from 'node:url';
import type { Checked } from '../clients/settings.js';
import type { PasskeySettings } from './model.js';

/** Browsers follow at most five registrable domains in `/.well-known/webauthn`; mailcode keeps a few more origins than that. */
export const maxOrigins = 20;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const no = (reason: string): Checked<never> => ({ ok: false, reason });

/** A relying-party id: a domain name (punycode, lower case), or `localhost` for a portal on a laptop. */
export function checkRpId(input: string): Checked<string> {
  const id = domainToASCII(input.trim().replace(/\.$/, '')).toLowerCase();
  if (id === 'localhost') return ok(id);
  return id.includes('.') && id.length <= 253 && !/^[\d.]+$/.test(id) && !id.includes(':')
    ? ok(id)
    : no(`"${input}" is not a domain name (an IP address cannot be a relying party).`);
}

/**
 * An origin a ceremony may come from: `https://host[:port]`, nothing after it; outside
 * production also `http://localhost[:port]` (browsers count it as secure).
 */
export function checkOrigin(input: string, production: boolean): Checked<string> {
  if (!URL.canParse(input)) return no(`"${input}" is not an origin like https://portal.acme.example.`);
  const url = new URL(input);
  const plain = url.origin === input.replace(/\/$/, '');
  if (plain && url.protocol === 'https:') return ok(url.origin);
  if (plain && !production && url.protocol === 'http:' && url.hostname === 'localhost') return ok(url.origin);
  return no(
    `"${input}" is not an origin like https://portal.acme.example${production ? '' : ' (or http://localhost:PORT)'}.`,
  );
}

/** Whether an origin's host is the relying party or under it (else it is a related origin). */
export const underRpId = (origin: string, rpId: string): boolean => {
  const host = new URL(origin).hostname;
  return host === rpId || host.endsWith(`.${rpId}`);
};

export function checkPasskeySettings(
  input: Omit<PasskeySettings, 'clientId'>,
  production: boolean,
): Checked<Omit<PasskeySettings, 'clientId'>> {
  const rpId = checkRpId(input.rpId);
  if (!rpId.ok) return no(`relying-party id: ${rpId.reason}`);
  if (input.origins.length === 0) return no('origins: name at least one origin the portal runs on.');
  if (input.origins.length > maxOrigins) return no(`origins: at most ${maxOrigins}.`);
  const origins: string[] = [];
  for (const o of input.origins) {
    const checked = checkOrigin(o.trim(), production);
    if (!checked.ok) return no(`origin: ${checked.reason}`);
    origins.push(checked.value);
  }
  if (!origins.some((o) => underRpId(o, rpId.value)))
    return no(`origins: at least one must be on ${rpId.value} itself (the others may be related origins).`);
  return ok({ ...input, rpId: rpId.value, origins: [...new Set(origins)] });
}
