// What changes to the people who run mailcode, and support's actions, refuse.
import { type InvalidRequest, invalidRequest, type RefusalTable, refuser } from '../shared/domain-error.js';

export type OperatorRefusal =
  | InvalidRequest
  /** No such operator (or, for disable, no such active one). */
  | { kind: 'operator_not_found'; detail: string }
  /** An operator with this address exists already. */
  | { kind: 'operator_exists'; detail: string };

export const operatorRefusals: RefusalTable<OperatorRefusal> = {
  invalid_request: invalidRequest,
  operator_not_found: { status: 404, title: 'Operator not found', means: 'no such operator' },
  operator_exists: { status: 409, title: 'Operator exists', means: 'an operator with this address exists already' },
};

export const refuse = refuser(operatorRefusals);
