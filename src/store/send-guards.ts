// The send guards' row keys, the same on both databases: one per address, one per end-user IP.
export function sendGuardKeys(email: string, ip: string | null): { email: string; ip: string | null } {
  return { email: `email:${email}`, ip: ip === null ? null : `ip:${ip}` };
}
