import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found by walking up to package.json, so the same code finds
 * `templates/`, `db/migrations/` and `openapi.yaml` whether it runs from `src/` (tests)
 * or from `dist/src/` (the built service).
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('mailcode: cannot find the package root (package.json)');
}

export const packageRoot = findPackageRoot();
export const migrationsDirs = {
  sqlite: join(packageRoot, 'db', 'migrations', 'sqlite'),
  postgres: join(packageRoot, 'db', 'migrations', 'pg'),
};
export const templatesDir = join(packageRoot, 'templates');
export const openapiPath = join(packageRoot, 'openapi.yaml');
/** The version the package (and the contract's `info.version`) carries. */
/** package.json, read once: its version, and the tools it pins (config). */
export const packageJson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
  version: string;
  config: { mailpit: string };
};
export const packageVersion = packageJson.version;
