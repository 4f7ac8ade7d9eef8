// The admin's actions on operators — create, list, disable, remove — each recorded as an
// event in the same transaction, in the service-wide trail (never a client's). The CLI
// comes through here today, the console's admin pages next.
import { event, type EventType, type RequestContext } from '../events/model.js';
import { refuse } from './refusals.js';
import { newId } from '../shared/ids.js';
import { normalizeEmail } from '../verification/email-address.js';
import { aboutOperator, operatorRoles, type Operator, type OperatorRole } from './model.js';
import type { OperatorsPort } from './ports.js';
import type { ConsoleSessions } from './sessions.js';

export class OperatorsService {
  constructor(
    private readonly operators: OperatorsPort,
    private readonly now: () => number,
    /** Their console sessions, ended when they are disabled (a removal deletes them with the operator). */
    private readonly sessions?: Pick<ConsoleSessions, 'endAllOf'>,
  ) {}

  async create(input: { email: string; role: OperatorRole }, context: RequestContext): Promise<Operator> {
    const address = normalizeEmail(input.email);
    if (!address.ok) throw refuse({ kind: 'invalid_request', detail: `email ${address.reason}.` });
    if (!operatorRoles.includes(input.role))
      throw refuse({ kind: 'invalid_request', detail: `role must be one of ${operatorRoles.join(', ')}.` });
    const operator: Operator = {
      id: newId('op', 9),
      email: address.email,
      role: input.role,
      createdAt: this.now(),
      disabledAt: null,
    };
    const created = await this.operators.create(operator, [
      this.event('operator.created', operator, operator.createdAt, context, { role: operator.role }),
    ]);
    if (!created)
      throw refuse({ kind: 'operator_exists', detail: `an operator with the address ${address.email} exists already` });
    return created;
  }

  list(): Promise<Operator[]> {
    return this.operators.list();
  }

  async get(id: string): Promise<Operator> {
    const found = await this.operators.get(id);
    if (!found) throw refuse({ kind: 'operator_not_found', detail: `no operator ${id}` });
    return found;
  }

  /** The operator can no longer sign in, and their sessions end now (a session read checks too). */
  async disable(id: string, context: RequestContext): Promise<void> {
    const operator = await this.get(id);
    const at = this.now();
    if (!(await this.operators.disable(id, at, [this.event('operator.disabled', operator, at, context)]))) {
      throw refuse({ kind: 'operator_not_found', detail: `no active operator ${id}` });
    }
    await this.sessions?.endAllOf(id);
  }

  async remove(id: string, context: RequestContext): Promise<void> {
    const operator = await this.get(id);
    if (!(await this.operators.remove(id, [this.event('operator.removed', operator, this.now(), context)]))) {
      throw refuse({ kind: 'operator_not_found', detail: `no operator ${id}` });
    }
  }

  private event(
    type: EventType,
    operator: Operator,
    at: number,
    context: RequestContext,
    data: Record<string, unknown> = {},
  ) {
    return event(type, at, aboutOperator(operator), context, data);
  }
}
