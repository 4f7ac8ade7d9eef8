// A notice as an outbox row, the same on both databases: queued now, worth sending until it expires.
import type { QueuedNotice } from '../people/notices.js';

export const noticeRow = (notice: QueuedNotice) => ({
  kind: notice.kind,
  clientId: notice.clientId,
  userRef: notice.userRef,
  email: notice.email,
  status: 'queued',
  payload: notice.payload,
  nextAttemptAt: notice.queuedAt,
  createdAt: notice.queuedAt,
  expiresAt: notice.expiresAt,
});
