// The committed pages and pcapng files are what today's code makes of the committed summary.json files:
// a change to the renderers without regenerating results/ fails here, not in a learner's browser.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RESULTS_DIR } from '../../../scripts/support/paths.ts';
import { experimentPage } from '../../../scripts/report/html/experiment-page.ts';
import { indexPage } from '../../../scripts/report/html/index-page.ts';
import { readSummaries } from '../../../scripts/report/read-results.ts';
import { kernelPcapng, pcapngChoice, userPcapng } from '../../../scripts/report/pcapng.ts';
import { RESULT_NAMES } from '../../../experiments/index.ts';

const KERNELS = join(RESULTS_DIR, 'kernels');
const kernelSets = existsSync(KERNELS)
  ? readdirSync(KERNELS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(KERNELS, e.name))
  : [];
const resultSets = [RESULTS_DIR, ...kernelSets];

for (const dir of resultSets) {
  t.test(relative(RESULTS_DIR, dir) || 'results/', async (t) => {
    const summaries = readSummaries(dir, RESULT_NAMES);
    t.ok(summaries.length > 0, 'has results');
    t.equal(readFileSync(join(dir, 'index.html'), 'utf8'), indexPage(summaries), 'index.html');
    for (const s of summaries) {
      const at = join(dir, s.experiment);
      t.equal(readFileSync(join(at, 'index.html'), 'utf8'), experimentPage(s, { pcapngNote: pcapngChoice(s), indexAbove: true }), `${s.experiment}/index.html`);
      t.ok(readFileSync(join(at, 'kernelspace.pcapng')).equals(kernelPcapng(s)), `${s.experiment}/kernelspace.pcapng`);
      t.ok(readFileSync(join(at, 'userspace.pcapng')).equals(userPcapng(s)), `${s.experiment}/userspace.pcapng`);
    }
  });
}
