// The README's exit-code table and the one in the code are the same table (bootstrap.sh's copy of it is
// checked by test/integration/bootstrap.test.ts).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../../scripts/vocabulary/exit-codes.ts';
import { ROOT } from '../../../scripts/support/paths.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const table = readme.slice(readme.indexOf('### Exit codes'));
const documented = [...table.matchAll(/^\| ([\d /]+) \|/gm)].flatMap((m) => m[1].split('/').map((c) => Number(c.trim())));

t.same([...documented].sort((a, b) => a - b), [...new Set(Object.values(EXIT))].sort((a, b) => a - b), 'every code in the table, and only those');

