// A run killed at any point of writing its results leaves every experiment folder whole (the old one or the
// new one), and the pages that list them agree with them once the commit is complete (at once, or by the
// next run on that folder when the kill came in the middle of it).
import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../../scripts/support/paths.ts';
import { recoverResults } from '../../../scripts/report/results-commit.ts';
import { writeResults } from '../../../scripts/report/write-results.ts';
import { writeOverview } from '../../../scripts/report/write-matrix.ts';
import { renderOverview } from '../../../scripts/report/matrix.ts';
import { indexPage } from '../../../scripts/report/html/index-page.ts';
import { readSummaries } from '../../../scripts/report/read-results.ts';
import { EXPERIMENTS, findExperiment } from '../../../experiments/index.ts';
import type { Summary } from '../../../scripts/report/summary-json.ts';
import { tempDir } from '../../helpers.ts';

const NAMES = ['raw', 'tcp', 'udp', 'xdp', 'tc-ingress', 'cgroup-egress', 'counter', 'trim-tcp'];
const ALL = EXPERIMENTS.map((e) => e.name);
const old = NAMES.map((n) => JSON.parse(readFileSync(join(ROOT, 'results', n, 'summary.json'), 'utf8')) as Summary);
// The new run differs in every file that names the kernel, and in the packets' count of the first one.
const fresh = old.map((s) => ({ ...s, kernel: `${s.kernel}-new` }));

/** Each file of each folder, as the old and as the new run write it. */
function render(summaries: Summary[]): Map<string, Map<string, string>> {
  const dir = tempDir('commit-ref');
  for (const s of summaries) writeResults(join(dir, s.experiment), s, findExperiment(s.experiment)!, { indexAbove: true });
  return new Map(summaries.map((s) => [s.experiment, new Map(readdirSync(join(dir, s.experiment)).map((f) => [f, readFileSync(join(dir, s.experiment, f), 'latin1')]))]));
}
const [oldFiles, newFiles] = [render(old), render(fresh)];

/** 'old', 'new', or what is wrong with the folder. */
function whichVersion(dir: string, name: string): string {
  const files = readdirSync(join(dir, name)).sort();
  const content = new Map(files.map((f) => [f, readFileSync(join(dir, name, f), 'latin1')]));
  for (const [label, ref] of [['old', oldFiles.get(name)!], ['new', newFiles.get(name)!]] as const) {
    if (files.join() === [...ref.keys()].sort().join() && files.every((f) => content.get(f) === ref.get(f))) return label;
  }
  return `${name} is neither the old folder nor the new one: ${files.join(', ')}`;
}

/** The pages agree with the folders: each is what rendering the folders' summaries gives now. */
function pagesAgree(dir: string): boolean {
  const summaries = readSummaries(dir, ALL);
  return readFileSync(join(dir, 'README.md'), 'utf8') === renderOverview(summaries) && readFileSync(join(dir, 'index.html'), 'utf8') === indexPage(summaries);
}

function writeOld(dir: string): void {
  for (const s of old) writeResults(join(dir, s.experiment), s, findExperiment(s.experiment)!, { indexAbove: true });
  writeOverview(dir, ALL);
}

const driver = (dir: string, summaries: string) =>
  execa(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'fixtures', 'write-results-driver.ts'), dir, summaries], { cwd: ROOT, reject: false });

t.test('SIGKILL at random points of the writing stage, many times', async (t) => {
  const summaries = join(tempDir('commit-input'), 'summaries.json');
  writeFileSync(summaries, JSON.stringify(fresh));
  // How long the stage takes here, uncut: the kills are spread over it (and a little after).
  const timing = tempDir('commit-timing');
  writeOld(timing);
  const child = driver(timing, summaries);
  let started = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (String(chunk).includes('writing')) started = performance.now();
  });
  t.equal((await child).exitCode, 0, 'the writing stage runs through');
  const span = performance.now() - started;
  t.ok(NAMES.every((n) => whichVersion(timing, n) === 'new') && pagesAgree(timing), 'uncut: every folder new, the pages agree');

  const outcomes = new Map<string, number>();
  const runs = 60;
  for (let i = 0; i < runs; i++) {
    const dir = tempDir('commit-kill');
    writeOld(dir);
    const run = driver(dir, summaries);
    const delay = Math.random() * span * 1.1;
    await new Promise<void>((resolve) => run.stdout!.on('data', (chunk: Buffer) => String(chunk).includes('writing') && resolve()));
    await new Promise((resolve) => setTimeout(resolve, delay));
    run.kill('SIGKILL');
    await run;
    const versions = NAMES.map((n) => whichVersion(dir, n));
    const broken = versions.filter((v) => v !== 'old' && v !== 'new');
    t.same(broken, [], `kill ${i + 1} after ${delay.toFixed(0)} ms: every folder is whole`);
    const left = readdirSync(dir).filter((f) => f.startsWith('.edl-'));
    const journal = left.some((f) => existsSync(join(dir, f, 'journal.json')));
    if (!journal) t.ok(pagesAgree(dir), `kill ${i + 1}: no commit was under way, and the pages agree with the folders`);
    const kind = journal ? 'killed while committing' : versions.every((v) => v === 'old') ? 'all old' : versions.every((v) => v === 'new') ? 'all new' : 'mixed';
    outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
    t.not(kind, 'mixed', `kill ${i + 1}: no mix of old and new folders unless a commit is to be completed`);
    // The next run on the folder completes the commit first.
    const recovered = await recoverResults(dir);
    if (journal) t.match(recovered.join('\n'), /completed the commit a killed run began/, `kill ${i + 1}: the next run completes the commit`);
    t.same(readdirSync(dir).filter((f) => f.startsWith('.edl-')), [], `kill ${i + 1}: nothing of the killed run is left`);
    const after = NAMES.map((n) => whichVersion(dir, n));
    t.ok(after.every((v) => v === 'old') || after.every((v) => v === 'new'), `kill ${i + 1}: afterwards all old or all new (${after.join(' ')})`);
    t.ok(pagesAgree(dir), `kill ${i + 1}: afterwards the pages agree with the folders`);
  }
  t.comment(`${runs} kills over ${span.toFixed(0)} ms of writing: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
});
