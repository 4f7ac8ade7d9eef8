// A `recoveries` row as either database returns it, as the domain reads it.
import type { Recovery, RecoveryEndedBy, RecoveryStatus } from '../recovery/model.js';

export const toRecovery = (
  row: Omit<Recovery, 'status' | 'endedBy'> & { status: string; endedBy: string | null },
): Recovery => ({
  ...row,
  status: row.status as RecoveryStatus,
  endedBy: row.endedBy as RecoveryEndedBy | null,
});
