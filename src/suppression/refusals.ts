// What lifting a suppression refuses.
import { type InvalidRequest, invalidRequest, type RefusalTable, refuser } from '../shared/domain-error.js';

export type SuppressionRefusal =
  | InvalidRequest
  /** `detail` names the address and the client, for the operator; the API answers its own words. */
  | { kind: 'suppression_not_found'; detail: string };

export const suppressionRefusals: RefusalTable<SuppressionRefusal> = {
  invalid_request: invalidRequest,
  suppression_not_found: {
    status: 404,
    title: 'Suppression not found',
    means: 'the address is not suppressed for this client',
    detail: () => 'This address is not suppressed for this client.',
  },
};

export const refuse = refuser(suppressionRefusals);
