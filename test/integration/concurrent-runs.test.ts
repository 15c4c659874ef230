// Four runs of `all` at the same time into one results folder: each gets its results right, the folder ends
// whole (every experiment folder from one run, the pages agreeing with them), and nothing is left.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import { EXPERIMENTS } from '../../experiments/index.ts';
import { readSummaries } from '../../scripts/report/read-results.ts';
import { renderOverview } from '../../scripts/report/matrix.ts';
import { indexPage } from '../../scripts/report/html/index-page.ts';
import { machineState } from '../../scripts/support/machine-state.ts';

const NAMES = EXPERIMENTS.map((e) => e.name);

t.test('four runs of all at the same time, into the same results folder', { skip: NEEDS_ROOT }, async (t) => {
  const before = await machineState();
  const results = tempDir('four');
  const children = Array.from({ length: 4 }, (_, i) => cli(['experiment', 'all', '--results', results, '--logs', tempDir(`four-logs-${i}`)]));
  const runs = await Promise.all(children);
  runs.forEach((run, i) => t.equal(run.exitCode, 0, `run ${i + 1} exits 0\n${run.all}`));
  for (const [i, run] of runs.entries()) {
    // Each run's own verdicts: the study's three as every run alone gives them.
    t.match(run.stdout, /\nraw +as in 2017/, `run ${i + 1}: raw reproduced`);
    t.match(run.stdout, /\ntcp +differs from 2017 +4 packet\(s\) from tcp, 1 read\(s\) +— extra-packet/, `run ${i + 1}: tcp as always`);
    t.match(run.stdout, /\nudp +as in 2017/, `run ${i + 1}: udp reproduced`);
  }
  t.same(readdirSync(results).filter((f) => f.startsWith('.')), [], 'no staging folder or lock left');
  const summaries = readSummaries(results, NAMES);
  t.equal(summaries.length, NAMES.length, 'every experiment has its folder');
  t.same(summaries.filter((s) => s.status.kind !== 'ok' && s.status.kind !== 'fallback').map((s) => `${s.experiment}: ${JSON.stringify(s.status)}`), []);
  t.equal(readFileSync(join(results, 'README.md'), 'utf8'), renderOverview(summaries), 'README.md agrees with the folders');
  t.equal(readFileSync(join(results, 'index.html'), 'utf8'), indexPage(summaries), 'index.html agrees with the folders');
  t.equal(readSummary(results, 'tcp').kernel_view.packets.length, 4);
  for (const child of children) t.same(await leftovers(child.pid!), [], `run ${child.pid}: nothing left`);
  t.same(await machineState(), before, 'the machine as before');
});
