// The public home's workflow is checked with a workflow linter (it cannot run here).
import t from 'tap';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../../scripts/support/paths.ts';
import { tempDir } from '../../helpers.ts';

const WORKFLOW = join(ROOT, '.github', 'workflows', 'results.yml');
const validate = (path: string) => execa('npx', ['--no-install', 'action-validator', path], { cwd: ROOT, reject: false, all: true });

t.test('the results workflow is valid', async (t) => {
  const result = await validate(WORKFLOW);
  t.equal(result.exitCode, 0, result.all);
});

t.test('the validator rejects a broken workflow (so the check above can fail)', async (t) => {
  const broken = join(tempDir('workflow'), 'broken.yml');
  writeFileSync(broken, readFileSync(WORKFLOW, 'utf8').replace('runs-on:', 'runs-onn:'));
  t.not((await validate(broken)).exitCode, 0);
});
