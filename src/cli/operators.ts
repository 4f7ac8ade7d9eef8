// `mailcode operators create|list|disable|remove`: the people who run mailcode, and their
// roles (admin, support). They sign in to the support console with a code mailed to this
// address, then their authenticator app.
import { Option, type Command } from 'commander';
import { operatorRoles, type Operator, type OperatorRole } from '../operators/model.js';
import type { OperatorsService } from '../operators/service.js';
import { byCommandLine } from '../events/model.js';
import { withServices } from './services.js';

const line = (o: Operator) =>
  `${o.id}\t${o.email}\t${o.role}\t${o.disabledAt === null ? 'active' : `disabled ${new Date(o.disabledAt).toISOString()}`}`;

export function registerOperatorCommands(program: Command): void {
  const operators = program
    .command('operators')
    .description('the people who run mailcode (admin, support) and sign in to its console');
  const withService = <T>(fn: (service: OperatorsService) => Promise<T>) =>
    withServices(({ operators }) => fn(operators));

  operators
    .command('create')
    .description('add an operator: they sign in with a code mailed to this address, then an authenticator app')
    .requiredOption('--email <address>', 'their work address')
    .addOption(
      new Option(
        '--role <role>',
        'admin: clients, keys, domains, DKIM, webhooks and operators; support: look people up and help them',
      )
        .choices(operatorRoles)
        .makeOptionMandatory(),
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcode operators create --email ann@acme.example --role admin\n  mailcode operators create --email sam@acme.example --role support --json',
    )
    .action((options: { email: string; role: OperatorRole; json?: boolean }) =>
      withService(async (service) => {
        const operator = await service.create({ email: options.email, role: options.role }, byCommandLine);
        console.log(
          options.json ? JSON.stringify(operator) : `operator ${operator.id} (${operator.email}, ${operator.role})`,
        );
      }),
    );

  operators
    .command('list')
    .description('list operators: id, address, role, state')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withService(async (service) => {
        const all = await service.list();
        if (options.json) return console.log(JSON.stringify(all));
        for (const o of all) console.log(line(o));
      }),
    );

  operators
    .command('disable')
    .description('the operator can no longer sign in (their sessions end)')
    .argument('<id>', 'operator id')
    .action((id: string) =>
      withService(async (service) => {
        await service.disable(id, byCommandLine);
        console.log(`operator ${id} disabled`);
      }),
    );

  operators
    .command('remove')
    .description('delete an operator (the trail of what they did stays)')
    .argument('<id>', 'operator id')
    .action((id: string) =>
      withService(async (service) => {
        await service.remove(id, byCommandLine);
        console.log(`operator ${id} removed`);
      }),
    );
}
