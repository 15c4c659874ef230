// The README's exit-code table and the one in the code are the same table; bootstrap.sh, which cannot import
// it, exits only with codes the table gives the meaning it uses them for.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../../scripts/vocabulary/exit-codes.ts';
import { ROOT } from '../../../scripts/support/paths.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const table = readme.slice(readme.indexOf('### Exit codes'));
const documented = [...table.matchAll(/^\| ([\d /]+) \|/gm)].flatMap((m) => m[1].split('/').map((c) => Number(c.trim())));

t.same([...documented].sort((a, b) => a - b), [...new Set(Object.values(EXIT))].sort((a, b) => a - b), 'every code in the table, and only those');

t.test('bootstrap.sh exits with codes from the table', async (t) => {
  const script = readFileSync(join(ROOT, 'scripts', 'bootstrap.sh'), 'utf8');
  const used = [...script.matchAll(/\bexit (\d+)/g)].map((m) => Number(m[1]));
  t.ok(used.length > 0);
  for (const code of used) t.ok((Object.values(EXIT) as number[]).includes(code), `exit ${code} is in the table`);
});
