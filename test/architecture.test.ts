// The shape of the code, held: dependencies point one way (main → http → store → mail →
// domain → shared), the domain imports nothing of HTTP, SQL or mail rendering, there is no
// import circle between files or between folders, and the client package loads no server code.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

const rank: Record<string, number> = {
  shared: 0,
  clients: 1,
  verification: 1,
  totp: 1,
  assertions: 1,
  retention: 1,
  events: 1,
  suppression: 1,
  operators: 1,
  people: 1,
  recovery: 1,
  'trusted-browsers': 1,
  passkeys: 1,
  mail: 2,
  webhooks: 2,
  store: 3,
  http: 4,
  console: 4,
  main: 5,
  cli: 6,
  qa: 5,
};
const domain = [
  'clients',
  'verification',
  'totp',
  'assertions',
  'retention',
  'events',
  'suppression',
  'operators',
  'people',
  'recovery',
  'trusted-browsers',
  'passkeys',
];
/** Packages that are HTTP, SQL or mail rendering: the edges' business, never the domain's. */
const edgePackages = /^(fastify|@fastify\/|fastify-plugin|drizzle-orm|better-sqlite3|pg|ioredis|eta|nodemailer)(\/|$)/;

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const sources = files(src).map((f) => relative(src, f));
const imports: Import[] = sources.flatMap((file) => {
  const text = readFileSync(join(src, file), 'utf8');
  const found = [
    ...text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm),
  ];
  return found.map((m) => {
    const target = m[3] ?? m[4]!;
    const to = target.startsWith('.')
      ? relative(src, resolve(join(src, dirname(file)), target)).replace(/\.js$/, '.ts')
      : target;
    return { from: file, to, typeOnly: m[2] !== undefined };
  });
});
const folder = (file: string) => file.split('/')[0]!;
const local = imports.filter((i) => sources.includes(i.to));

t.test('the import scan sees the code', async (t) => {
  t.ok(sources.length > 50, `${sources.length} source files`);
  t.ok(local.length > 150, `${local.length} imports between them`);
  for (const file of sources) t.ok(folder(file) in rank || folder(file) === 'sdk', `${file} is in a known layer`);
});

t.test('no import runs from a lower layer to a higher one', async (t) => {
  const upward = local.filter(
    (i) => folder(i.from) !== 'sdk' && folder(i.to) !== 'sdk' && rank[folder(i.from)]! < rank[folder(i.to)]!,
  );
  t.same(
    upward.map((i) => `${i.from} → ${i.to}`),
    [],
  );
});

t.test('the domain imports nothing of HTTP, SQL or mail rendering', async (t) => {
  const leaks = imports.filter(
    (i) =>
      domain.includes(folder(i.from)) &&
      (edgePackages.test(i.to) || (sources.includes(i.to) && rank[folder(i.to)]! > 1)),
  );
  t.same(
    leaks.map((i) => `${i.from} → ${i.to}`),
    [],
  );
});

t.test('no import circle, between files or between folders', async (t) => {
  const cycle = (edges: Map<string, Set<string>>) => {
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (node: string): string[] | undefined => {
      if (state.get(node) === 'done') return undefined;
      if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
      state.set(node, 'open');
      path.push(node);
      for (const next of edges.get(node) ?? []) {
        const found = visit(next);
        if (found) return found;
      }
      path.pop();
      state.set(node, 'done');
      return undefined;
    };
    for (const node of edges.keys()) {
      const found = visit(node);
      if (found) return found;
    }
    return undefined;
  };
  const graph = (pairs: [string, string][]) => {
    const edges = new Map<string, Set<string>>();
    for (const [a, b] of pairs) if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
    return edges;
  };
  t.same(cycle(graph(local.map((i) => [i.from, i.to]))), undefined, 'between files');
  t.same(cycle(graph(local.map((i) => [folder(i.from), folder(i.to)]))), undefined, 'between folders');
});

t.test(
  'HTTP and the console are handed services, never the store: nothing under src/http/ or src/console/ imports src/store/',
  async (t) => {
    const reaching = imports.filter((i) => ['http', 'console'].includes(folder(i.from)) && folder(i.to) === 'store');
    t.ok(
      sources.some((f) => folder(f) === 'console'),
      'the console is its own folder',
    );
    t.same(
      reaching.map((i) => `${i.from} → ${i.to}`),
      [],
    );
  },
);

t.test('the CLI calls services, not stores: its files import nothing that opens or is a store', async (t) => {
  const cli = sources.filter((f) => folder(f) === 'cli');
  t.ok(cli.length >= 4, `${cli.length} CLI files`);
  const reaching = imports.filter(
    (i) => cli.includes(i.from) && (folder(i.to) === 'store' || i.to === 'main/open-store.ts'),
  );
  t.same(
    reaching.map((i) => `${i.from} → ${i.to}`),
    [],
  );
  for (const file of cli)
    t.notMatch(readFileSync(join(src, file), 'utf8'), /\bstore\.|\bStore\b/, `${file} names no store`);
});

t.test('mailcode/client (src/sdk/) loads no server code: outside its folder it imports types only', async (t) => {
  const runtime = local.filter((i) => folder(i.from) === 'sdk' && !i.typeOnly && folder(i.to) !== 'sdk');
  t.same(
    runtime.map((i) => `${i.from} → ${i.to}`),
    [],
  );
});

t.test(
  'one way to find Mailpit: only src/qa/mailpit.ts (and the script that builds it) says where it is',
  async (t) => {
    // The tests, `npm run qa` and the bench all start the Mailpit scripts/install-mailpit.sh
    // built (or MAILPIT_BIN): a second way of looking (PATH, Go's bin folder) found none.
    const owners = new Set(['src/qa/mailpit.ts']);
    const looking = /command -v mailpit|GOPATH[^\n]*mailpit|mailpit-\$\{|\.cache[^\n]*mailpit/;
    const elsewhere = ['src', 'test', 'bench', 'scripts']
      .flatMap((dir) =>
        files(join(root, dir)).concat(
          dir === 'scripts' ? readdirSync(join(root, dir)).map((f) => join(root, dir, f)) : [],
        ),
      )
      .map((file) => relative(root, file))
      .filter(
        (file) =>
          !owners.has(file) &&
          !file.startsWith('scripts/install-mailpit') &&
          file !== 'test/architecture.test.ts' &&
          file !== 'test/fresh-machine.test.ts',
      )
      .filter((file) => looking.test(readFileSync(join(root, file), 'utf8')));
    t.same(elsewhere, [], 'no file looks for Mailpit on its own');
  },
);

t.test('the README stays a map: at most 400 lines, the layout first, people/ and the mail kinds on it', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  t.ok(readme.split('\n').length <= 401, `${readme.split('\n').length - 1} lines`);
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  t.equal(headings[0], 'Layout', 'the map is the first section');
  for (const folder of ['people/', 'cli/', 'sdk/', 'kinds/']) t.match(readme, folder, `the map shows ${folder}`);
});

t.test(
  'adapters decide nothing: src/store/ runs the flows it is handed, and imports none of their rules',
  async (t) => {
    // A store may use the flow runner (verification/flow.ts: generic machinery) and the
    // features' types; never a flow, the audit events a flow builds, or what a decoy is.
    const rules = imports.filter(
      (i) =>
        folder(i.from) === 'store' &&
        domain.includes(folder(i.to)) &&
        !i.typeOnly &&
        (/-flow\.ts$|\/standing\.ts$|\/audit\.ts$|\/proven\.ts$/.test(i.to) ||
          /decoy/i.test(readFileSync(join(src, i.from), 'utf8').match(/import[^;]*decoy[^;]*;/)?.[0] ?? '')),
    );
    t.same(
      rules.map((i) => `${i.from} → ${i.to}`),
      [],
    );
    for (const file of sources.filter((f) => folder(f) === 'store')) {
      t.notMatch(readFileSync(join(src, file), 'utf8'), /decoyVerificationId|canceledEvent/, `${file} names no rule`);
    }
  },
);
