// The operators service against an in-memory port: who runs mailcode, and every change
// recorded in the service-wide trail, never a client's.
import t from 'tap';
import type { NewEvent } from '../../src/events/model.js';
import { serviceScope, type Operator } from '../../src/operators/model.js';
import type { OperatorsPort } from '../../src/operators/ports.js';
import { OperatorsService } from '../../src/operators/service.js';

const cli = { actor: 'cli' as const, requestId: null };

function memoryOperators() {
  const rows = new Map<string, Operator>();
  const events: NewEvent[] = [];
  const port: OperatorsPort = {
    async create(operator, written) {
      if ([...rows.values()].some((o) => o.email === operator.email)) return undefined;
      rows.set(operator.id, operator);
      events.push(...written);
      return { ...operator };
    },
    list: async () => [...rows.values()],
    get: async (id) => rows.get(id),
    findByEmail: async (email) => [...rows.values()].find((o) => o.email === email),
    async disable(id, at, written) {
      const o = rows.get(id);
      if (!o || o.disabledAt !== null) return false;
      o.disabledAt = at;
      events.push(...written);
      return true;
    },
    async remove(id, written) {
      if (!rows.delete(id)) return false;
      events.push(...written);
      return true;
    },
  };
  return { port, events };
}

const refusal = (kind: string) => ({ name: 'DomainError', refusal: { kind } });

t.test(
  'create: a normalized address and a role, one operator per address, recorded without the whole address',
  async (t) => {
    const { port, events } = memoryOperators();
    const operators = new OperatorsService(port, () => 1_000);
    const ann = await operators.create({ email: ' Ann@ACME.example ', role: 'admin' }, cli);
    t.match(ann, {
      id: /^op_[A-Za-z0-9_-]{12}$/,
      email: 'ann@acme.example',
      role: 'admin',
      createdAt: 1_000,
      disabledAt: null,
    });
    t.same(events, [
      {
        type: 'operator.created',
        clientId: serviceScope,
        subject: ann.id,
        maskedEmail: 'a***@acme.example',
        requestId: null,
        actor: 'cli',
        data: { role: 'admin' },
        at: 1_000,
      },
    ]);
    await t.rejects(operators.create({ email: 'ann@acme.example', role: 'support' }, cli), refusal('operator_exists'));
    await t.rejects(operators.create({ email: 'not an address', role: 'support' }, cli), refusal('invalid_request'));
    await t.rejects(
      operators.create({ email: 'sam@acme.example', role: 'root' as 'admin' }, cli),
      refusal('invalid_request'),
    );
    t.equal(events.length, 1, 'no event for a refusal');
    t.ok(!serviceScope.match(/^cl_/), 'the service-wide scope is no client id');
  },
);

t.test(
  'disable once (ending their sessions), remove once; each is an event; unknown operators are refused',
  async (t) => {
    const { port, events } = memoryOperators();
    const ended: string[] = [];
    const operators = new OperatorsService(port, () => 2_000, { endAllOf: async (id) => (ended.push(id), 1) });
    const sam = await operators.create({ email: 'sam@acme.example', role: 'support' }, cli);
    await operators.disable(sam.id, cli);
    t.same(ended, [sam.id], 'their console sessions end with it');
    t.match(await operators.get(sam.id), { disabledAt: 2_000 });
    await t.rejects(operators.disable(sam.id, cli), refusal('operator_not_found'), 'disabled already');
    await operators.remove(sam.id, cli);
    await t.rejects(operators.get(sam.id), refusal('operator_not_found'));
    await t.rejects(operators.remove(sam.id, cli), refusal('operator_not_found'));
    t.same(
      events.map((e) => [e.type, e.subject]),
      [
        ['operator.created', sam.id],
        ['operator.disabled', sam.id],
        ['operator.removed', sam.id],
      ],
    );
  },
);
