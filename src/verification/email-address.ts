// One mailbox, normalized so that one person maps to one identity.
import { domainToASCII } from 'node:url';

export type NormalizedAddress = { ok: true; email: string; domain: string } | { ok: false; reason: string };

// RFC 5322 dot-atom: letters, digits and these symbols, dots only between atoms.
// Quoted local parts, comments and display names are refused on purpose: they are how
// header injection and "one address, many spellings" attacks get in.
const atext = "[a-z0-9!#$%&'*+/=?^_`{|}~-]";
const dotAtomLocalPart = new RegExp(`^${atext}+(\\.${atext}+)*$`);
const dnsLabel = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// C0/C1 controls, DEL, and the Unicode line/paragraph separators.
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const maxAddressLength = 254;

export function normalizeEmail(input: string): NormalizedAddress {
  if (controlCharacters.test(input)) return { ok: false, reason: 'contains control characters (CR, LF, NUL, …)' };
  const trimmed = input.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, reason: 'is not a single mailbox (local@domain)' };
  const localPart = trimmed.slice(0, at).toLowerCase();
  const rawDomain = trimmed.slice(at + 1).replace(/\.$/, '');
  if (localPart.length > 64) return { ok: false, reason: 'has a local part longer than 64 characters' };
  if (!dotAtomLocalPart.test(localPart)) {
    return { ok: false, reason: 'is not a single plain mailbox (no display names, quotes, comments or spaces)' };
  }
  // WHATWG/UTS #46 mapping: lower-cases and turns an IDN into punycode; '' when invalid.
  const domain = rawDomain.length > 253 ? '' : domainToASCII(rawDomain);
  const labels = domain.split('.');
  if (!domain || labels.length < 2 || !labels.every((l) => dnsLabel.test(l)) || /^[0-9]+$/.test(labels.at(-1)!)) {
    return { ok: false, reason: 'has no valid internet domain' };
  }
  const email = `${localPart}@${domain}`;
  if (email.length > maxAddressLength) return { ok: false, reason: `is longer than ${maxAddressLength} characters` };
  return { ok: true, email, domain };
}

/** The domain of a normalized address (what follows its last '@'). */
export const addressDomain = (email: string): string => email.slice(email.lastIndexOf('@') + 1);

/** For logs: enough to recognise an address in an investigation, not enough to harvest it. */
export function maskEmail(email: string): string {
  if (email.lastIndexOf('@') < 1) return '***';
  return `${email[0]}***@${addressDomain(email)}`;
}

// An address as a mail server or a bounce report quotes it: a quoted or plain local part
// (any characters but the ones that end a token in such texts, so IDN local parts count),
// then a domain of Unicode or punycode labels, or an address literal. Matched anywhere in
// the text, bracketed or bare, in any case, as often as it occurs.
const quotedLocalPart = String.raw`"(?:[^"\\\r\n]|\\.){0,64}"`;
const plainLocalPart = String.raw`[^\s<>()[\]{}",;:@\\]+`;
const domainPart = String.raw`(?:\[[^\]\s]{1,64}\]|[\p{L}\p{N}_-]{1,63}(?:\.[\p{L}\p{N}_-]{1,63})+)`;
const quotedAddress = new RegExp(`(${quotedLocalPart}|${plainLocalPart})@(${domainPart})`, 'gu');

/**
 * Masks every address in a text that came from outside (an SMTP reply, a bounce report's
 * Diagnostic-Code), as maskEmail does, keeping the status codes and the words around them:
 * such texts are stored with a mail's state and travel in events and webhooks, which never
 * carry a whole address. Masking what is already masked changes nothing. The caller bounds
 * the text (a reply is clipped first), so the scan stays short.
 */
export function maskAddressesIn(text: string): string {
  return text.replace(quotedAddress, (_whole, local: string, domain: string) => {
    const first = [...local.replace(/^"/, '')][0] ?? '';
    return `${first === '"' ? '' : first}***@${domain}`;
  });
}
