// The kinds of notice mailcode mails a person (people/notices.ts models each), named here
// because a client's settings turn kinds off (clients/) and clients come before people.
export const noticeKinds = [
  'authenticator_removed',
  'authenticator_added',
  'recovery_code_used',
  'recovery_codes_renewed',
  'recovery_started',
  'recovery_completed',
  'recovery_canceled',
  'browser_trusted',
  'passkey_added',
  'passkey_removed',
] as const;

export type NoticeKind = (typeof noticeKinds)[number];
