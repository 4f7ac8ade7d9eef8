// What an operator's changes to clients, their DKIM keys and relays refuse (the CLI, the console).
import { type InvalidRequest, invalidRequest, type RefusalTable, refuser } from '../shared/domain-error.js';

export type ClientRefusal =
  | InvalidRequest
  /** No such client (or, for revoke and rotate-key, no such active client). */
  | { kind: 'client_not_found'; detail: string }
  /** No such DKIM key of the client (or none that could take this change). */
  | { kind: 'dkim_key_not_found'; detail: string };

export const clientRefusals: RefusalTable<ClientRefusal> = {
  invalid_request: invalidRequest,
  client_not_found: { status: 404, title: 'Client not found', means: 'no such client' },
  dkim_key_not_found: { status: 404, title: 'DKIM key not found', means: 'no such DKIM key of the client' },
};

export const refuse = refuser(clientRefusals);
