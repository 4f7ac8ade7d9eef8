// The README's walk-through, as the tests that hold it read it: the shell block under its
// heading, up to the next section.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/shared/paths.js';

export function walkThroughShell(): string {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('## Walk-through with curl');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
}
