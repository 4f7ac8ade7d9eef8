import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadConfig } from '../../src/shared/config.js';
import { packageRoot } from '../../src/shared/paths.js';
import { oneIn, worstCaseGuessing } from '../../src/verification/guessing.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('the worst case with the defaults is 100 guesses, 1 in 10,000 per address per day', async (t) => {
    const bound = worstCaseGuessing(loadConfig({ CODE_SECRET: 'x'.repeat(32), DATABASE_URL: 'file::memory:' }));
    t.equal(bound.guessesPerDay, 100);
    t.ok(Math.abs(bound.probabilityPerDay - 1e-4) < 1e-7);
    t.equal(oneIn(bound.probabilityPerDay), '1 in 10,000');
  });

  t.test('docs/LIMITS.md (linked from the README) states the computed number', async (t) => {
    const readme = readFileSync(join(packageRoot, 'docs', 'LIMITS.md'), 'utf8').replace(/\s+/g, ' ');
    const bound = worstCaseGuessing({ MAX_ATTEMPTS: 5, SENDS_PER_EMAIL_DAY: 20, SENDS_PER_EMAIL_HOUR: 5 });
    t.match(readme, `at most ${bound.guessesPerDay} comparisons`);
    t.match(readme, `a chance of **${oneIn(bound.probabilityPerDay)} per address per day**`);
  });

  t.test('the bound follows the configuration', async (t) => {
    t.equal(
      worstCaseGuessing({ MAX_ATTEMPTS: 3, SENDS_PER_EMAIL_DAY: 100, SENDS_PER_EMAIL_HOUR: 2 }).guessesPerDay,
      3 * 48,
      'the hourly limit binds',
    );
  });
});
