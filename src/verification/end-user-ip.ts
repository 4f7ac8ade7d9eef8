// The key the per-IP limit counts by: an IPv4 address as it is, an IPv6 address by its
// /64 (what one subscriber or host usually holds, so rotating the low bits buys nothing).
import ipaddr from 'ipaddr.js';

export function endUserIpKey(input: string): string | undefined {
  if (!ipaddr.isValid(input)) return undefined;
  let address = ipaddr.parse(input);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  if (address.kind() === 'ipv4') {
    // ipaddr.js accepts legacy forms ("127.1", octal); only the dotted quad is an address here.
    return ipaddr.IPv4.isValidFourPartDecimal(input) || input.includes(':') ? address.toString() : undefined;
  }
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
