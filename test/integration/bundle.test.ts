// `npm run experiment` runs the esbuild bundle that bootstrap.sh builds, and that bundle starts bundled
// servers: it must give the same results as the sources run through tsx (what the other tests run).
import t from 'tap';
import { execa } from 'execa';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import { BUNDLED_CLI, ROOT } from '../../scripts/support/paths.ts';

const NAMES = ['tcp', 'udp', 'tc-ingress'];
const facts = (dir: string, name: string) => {
  const { kernel_view, user_view, checks, overview } = readSummary(dir, name);
  return { kernel_view, user_view, checks, overview };
};

t.test('the bundled CLI gives the results the sources give', { skip: NEEDS_ROOT }, async (t) => {
  const built = await execa('bash', ['scripts/bootstrap.sh'], { cwd: ROOT, reject: false, all: true });
  t.equal(built.exitCode, 0, `bootstrap builds the bundle: ${built.all}`);
  const dirs = { bundled: tempDir('bundled'), source: tempDir('source'), logs: tempDir('logs') };
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
  const bundled = execa(process.execPath, [BUNDLED_CLI, 'experiment', ...NAMES, '--results', dirs.bundled, '--logs', dirs.logs], {
    cwd: ROOT,
    reject: false,
    all: true,
    env,
    extendEnv: false,
  });
  const run = await bundled;
  t.equal(run.exitCode, 0, run.all);
  t.same(await leftovers(bundled.pid!), [], 'nothing left behind');
  const source = await cli(['experiment', ...NAMES, '--results', dirs.source, '--logs', dirs.logs]);
  t.equal(source.exitCode, 0, source.all);
  for (const name of NAMES) t.same(facts(dirs.bundled, name), facts(dirs.source, name), `${name}: same kernel and user views`);
});
