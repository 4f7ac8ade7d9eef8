// What a fresh machine meets: a maintained Node, exact dependencies, install scripts that
// use what is there and say what is missing, a start that does not rebuild a current build.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import semver from 'semver';
import { mailpitVersion } from '../src/qa/mailpit.js';
import { packageRoot } from '../src/shared/paths.js';
import { walkThroughShell } from './helpers/readme.js';

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(packageRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};

function tempDir(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-fresh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A directory of executables for PATH: name → shell script body. */
function shims(dir: string, scripts: Record<string, string>): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

t.test('the project runs on the maintained LTS lines, and no dependency wants another Node', async (t) => {
  t.ok(
    semver.satisfies(process.versions.node, pkg.engines.node),
    `this Node (${process.versions.node}) satisfies engines ${pkg.engines.node}`,
  );
  t.notOk(semver.satisfies('20.19.0', pkg.engines.node), 'Node 20 (end of life) is not allowed');
  for (const line of ['22.12.0', '24.0.0']) {
    t.ok(semver.satisfies(line, pkg.engines.node), `Node ${line} is allowed`);
    const unhappy = Object.entries(lock.packages)
      .filter(([, entry]) => typeof entry.engines === 'object' && !Array.isArray(entry.engines) && entry.engines.node)
      .filter(([, entry]) => !semver.satisfies(line, (entry.engines as { node: string }).node))
      .map(([name]) => name);
    t.same(unhappy, [], `no engine warning on Node ${line}`);
  }
  const dockerfile = readFileSync(join(packageRoot, 'Dockerfile'), 'utf8');
  const images = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
  t.ok(
    images.length >= 2 && images.every((major) => major >= 24),
    `the image builds and runs on node:24 or newer (${images.join(', ')})`,
  );
});

t.test('every dependency is pinned to one exact version', async (t) => {
  for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    t.ok(semver.valid(range), `${name} ${range}`);
  }
});

t.test('scripts/node-env.sh puts a Node of 22 or newer first on PATH', async (t) => {
  const result = spawnSync('bash', ['-c', 'source scripts/node-env.sh && node -p process.versions.node'], {
    cwd: packageRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.equal(result.status, 0, result.stderr);
  t.ok(semver.gte(result.stdout.trim(), '22.12.0'), `node ${result.stdout.trim()}`);
});

t.test(
  'install-mailpit.sh uses the Mailpit it built (or MAILPIT_BIN), prints where it is, and says what to do without Go',
  async (t) => {
    const dir = tempDir(t);
    const script = join(packageRoot, 'scripts', 'install-mailpit.sh');
    const run = (path: string, env: Record<string, string> = {}) =>
      spawnSync('bash', [script], { encoding: 'utf8', env: { PATH: path, HOME: dir, ...env }, timeout: 30_000 });
    const fakeMailpit = shims(join(dir, 'mailpit'), { mailpit: 'exit 0' });
    const noGo = '/usr/bin:/bin';

    const given = run(noGo, { MAILPIT_BIN: join(fakeMailpit, 'mailpit') });
    t.equal(given.status, 0, 'MAILPIT_BIN, no Go');
    t.equal(given.stdout, `${join(fakeMailpit, 'mailpit')}\n`, 'its path on stdout');
    // A mailpit on PATH may be a `go install` without the web UI: only its own build is reused.
    const onPath = run(`${fakeMailpit}:${noGo}`);
    t.equal(onPath.status, 1, 'a mailpit on PATH is not taken for one with the web UI');
    const built = join(dir, '.cache', 'mailcode', `mailpit-${mailpitVersion}`);
    mkdirSync(built, { recursive: true });
    writeFileSync(join(built, 'mailpit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const reused = run(noGo);
    t.equal(reused.status, 0, 'the earlier build, no Go');
    t.equal(reused.stdout, `${join(built, 'mailpit')}\n`);
    rmSync(built, { recursive: true });
    const missing = run(noGo);
    t.equal(missing.status, 1, 'no Mailpit, no Go: exit 1');
    t.match(missing.stderr, /Go \(needed to build it\) is not installed/);
    t.match(missing.stderr, /MAILPIT_BIN/);
    const badBin = run(noGo, { MAILPIT_BIN: join(dir, 'nothing-here') });
    t.equal(badBin.status, 1);
    t.match(badBin.stderr, /MAILPIT_BIN=.*nothing-here is not an executable/);
    const oldGo = shims(join(dir, 'old-go'), {
      go: 'case "$2" in GOVERSION) echo go1.22.1;; GOPATH) echo "$HOME/gopath";; esac',
    });
    const tooOld = run(`${oldGo}:${noGo}`);
    t.equal(tooOld.status, 1, 'a Go older than Mailpit needs: exit 1');
    t.match(tooOld.stderr, /needs Go 1\.24\.3 or newer to build; this Go is 1\.22\.1/);
  },
);

t.test("building Mailpit leaves nothing in the caller's TMPDIR and sends no install-time analytics", async (t) => {
  // A fresh machine builds Mailpit inside `npm test`, whose TMPDIR is the tests' own folder
  // (.ci/run fails when anything is left there). The UI's npm install runs a dependency's
  // analytics, which writes a log into TMPDIR: here a stand-in npm does what it did.
  const dir = tempDir(t);
  const callerTmp = join(dir, 'caller-tmp');
  const module = join(dir, 'module');
  mkdirSync(callerTmp);
  mkdirSync(module);
  const seen = join(dir, 'npm-env');
  const tools = shims(join(dir, 'tools'), {
    go: [
      'case "$1 $2" in',
      '  "env GOVERSION") echo go1.25.0 ;;',
      `  "mod download") if [ "$3" = -json ]; then printf '{\\n\\t"Dir": "%s",\\n}\\n' "${module}"; fi ;;`,
      '  "build -trimpath") while [ "$1" != -o ]; do shift; done; : >"$2"; chmod +x "$2"; : >"$TMPDIR/go-build-scratch" ;;',
      'esac',
    ].join('\n'),
    npm: `if [ "$1" = ci ]; then echo "SCARF_ANALYTICS=$SCARF_ANALYTICS DO_NOT_TRACK=$DO_NOT_TRACK" >"${seen}"; : >"$TMPDIR/scarf-js-history-root.log"; fi`,
  });
  const result = spawnSync('bash', [join(packageRoot, 'scripts', 'install-mailpit.sh')], {
    encoding: 'utf8',
    env: { PATH: `${tools}:/usr/bin:/bin`, HOME: dir, TMPDIR: callerTmp },
    timeout: 30_000,
  });
  t.equal(result.status, 0, result.stderr);
  t.equal(
    result.stdout,
    `${join(dir, '.cache', 'mailcode', `mailpit-${mailpitVersion}`, 'mailpit')}\n`,
    'the build is where the tests look for it',
  );
  t.same(readdirSync(callerTmp), [], "nothing left in the caller's TMPDIR");
  t.equal(
    readFileSync(seen, 'utf8').trim(),
    'SCARF_ANALYTICS=false DO_NOT_TRACK=1',
    'install-time analytics turned off',
  );
});

t.test('install-chromium.sh says what is absent when it may not install', async (t) => {
  const dir = tempDir(t);
  const notRoot = shims(dir, { id: 'echo 1000' });
  const result = spawnSync('bash', [join(packageRoot, 'scripts', 'install-chromium.sh')], {
    encoding: 'utf8',
    env: { PATH: `${notRoot}:/usr/bin:/bin`, CHROMIUM_PATH: join(dir, 'no-chromium') },
  });
  t.equal(result.status, 1);
  t.match(result.stderr, /Chromium is ABSENT at .*no-chromium/);
});

t.test('scripts/run.sh compiles only when a source is newer than the last build', async (t) => {
  const dir = tempDir(t);
  cpSync(join(packageRoot, 'scripts'), join(dir, 'scripts'), { recursive: true });
  symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'src', 'hello.ts'), "console.log('hello from ' + 'the build');\n");
  writeFileSync(join(dir, 'package-lock.json'), '{}\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { outDir: 'dist', rootDir: '.', module: 'NodeNext', target: 'ES2022', types: [] },
      include: ['src/**/*.ts'],
    }),
  );
  const run = () =>
    spawnSync('bash', ['scripts/run.sh', 'dist/src/hello.js'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });

  const first = run();
  t.equal(first.status, 0, first.stderr);
  t.match(first.stderr, /compiling TypeScript \(no build yet/, 'no build yet: compiles, and says so');
  t.match(first.stdout, /hello from the build/);
  const second = run();
  t.equal(second.status, 0);
  t.notMatch(second.stderr, /compiling/, 'a current build starts at once');
  t.match(second.stdout, /hello from the build/);
  writeFileSync(join(dir, 'src', 'hello.ts'), "console.log('hello again');\n");
  const later = new Date(Date.now() + 2_000);
  utimesSync(join(dir, 'src', 'hello.ts'), later, later);
  const third = run();
  t.match(
    third.stderr,
    /compiling TypeScript \(sources changed since the last build\)/,
    'a changed source: compiles again',
  );
  t.match(third.stdout, /hello again/);
});

t.test('npm test builds only a missing or stale build, as npm start does', async (t) => {
  const test = readFileSync(join(packageRoot, 'scripts', 'test.sh'), 'utf8');
  t.match(test, /^source scripts\/build-if-stale\.sh$/m);
  t.notMatch(test, /npm run build/, 'no unconditional rebuild');
});

t.test("the README's walk-through writes no file with a key into the repository", async (t) => {
  const shell = walkThroughShell();
  t.match(shell, /clients create/, 'the walk-through creates a client');
  t.notMatch(shell, /\btee\b|>\s*[\w./-]+\.json/, 'no output is written to a file');
});
