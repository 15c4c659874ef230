// docs/LAB.md is a lab, not a summary (issue 14): every exercise makes you predict before you run, open and
// explain, and keeps its hint and answer folded away until asked. Each exercise says how long it takes, its
// commands name experiments that exist, the result files it sends you to are committed, and the `counter`
// experiment has its exercise. The checks are a function of the text, so a broken copy must fail them too.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/support/paths.ts';
import { EXPERIMENTS } from '../../../experiments/index.ts';

interface World {
  /** What `npm run experiment` accepts as a name. */
  experiments: ReadonlySet<string>;
  /** Whether a path, relative to the repository, exists. */
  exists: (path: string) => boolean;
}

const LABELS = ['Predict', 'Run', 'Open', 'Explain'] as const;
const SUMMARY = /<summary>(Hint|Answer)<\/summary>/g;
// A socket experiment run on its other topology (`raw --topology veth`) writes results/raw-veth/: the lab
// sends you there after that run, but the folder is generated, not committed.
const GENERATED = ['results/raw-veth/'];

interface Exercise {
  number: number;
  heading: string;
  body: string;
}

function exercises(text: string): Exercise[] {
  return text
    .split(/^## /m)
    .slice(1)
    .flatMap((section) => {
      const m = /^(\d+)\. (.*)\n/.exec(section);
      return m ? [{ number: Number(m[1]), heading: m[2], body: section.slice(m[0].length) }] : [];
    });
}

/** The `<details>` blocks of a text, in order, or a problem with their nesting. */
function detailsBlocks(body: string): { blocks: { start: number; end: number; text: string }[]; problem?: string } {
  const blocks: { start: number; end: number; text: string }[] = [];
  const tag = /<\/?details>/g;
  let open: number | null = null;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    if (m[0] === '<details>') {
      if (open !== null) return { blocks, problem: 'a <details> opens inside another (one is unclosed)' };
      open = m.index;
    } else {
      if (open === null) return { blocks, problem: 'a </details> closes nothing' };
      blocks.push({ start: open, end: m.index + m[0].length, text: body.slice(open, m.index + m[0].length) });
      open = null;
    }
  }
  return open === null ? { blocks } : { blocks, problem: 'a <details> is never closed' };
}

/** The experiment names of an `npm run experiment` command: its words before the first option. */
function commandNames(command: string): string[] {
  const words = command.trim().split(/\s+/).slice(3);
  const names: string[] = [];
  for (const w of words) {
    if (w === '--') continue;
    if (w.startsWith('-')) break;
    names.push(w);
  }
  return names;
}

function labProblems(text: string, world: World): string[] {
  const problems: string[] = [];
  const list = exercises(text);
  if (list.length === 0) return ['no exercise ("## N. …")'];

  list.forEach((e, i) => {
    const name = `exercise ${e.number}`;
    if (e.number !== i + 1) problems.push(`${name}: numbered out of sequence (expected ${i + 1})`);
    if (!/\(about \d+ minutes\)$/.test(e.heading)) problems.push(`${name}: no "(about N minutes)" at the end of its heading`);

    const positions = LABELS.map((l) => {
      const found = e.body.split(`**${l}:**`).length - 1;
      if (found !== 1) problems.push(`${name}: **${l}:** appears ${found} times, not once`);
      return e.body.indexOf(`**${l}:**`);
    });
    if (positions.every((p) => p >= 0) && positions.some((p, j) => j > 0 && p < positions[j - 1])) {
      problems.push(`${name}: the steps are not in the order ${LABELS.join(', ')}`);
    }

    const run = e.body.slice(positions[1], positions[2] >= 0 ? positions[2] : undefined);
    if (positions[1] >= 0 && !run.includes('`npm run experiment')) problems.push(`${name}: its Run step has no \`npm run experiment\``);

    const { blocks, problem } = detailsBlocks(e.body);
    if (problem) problems.push(`${name}: ${problem}`);
    if (blocks.length === 0) problems.push(`${name}: no <details> block`);
    const explain = positions[3];
    for (const b of blocks) {
      const summary = /^<details><summary>(Hint|Answer)<\/summary>\n\n/.exec(b.text);
      if (!summary) problems.push(`${name}: a <details> block that is not "<details><summary>Hint|Answer</summary>" and a blank line`);
      if (!b.text.endsWith('\n\n</details>')) problems.push(`${name}: a <details> block without a blank line before </details>`);
      if (explain >= 0 && b.start < explain) problems.push(`${name}: a <details> block before the Explain step`);
    }
    if (!blocks.some((b) => b.text.startsWith('<details><summary>Answer</summary>'))) problems.push(`${name}: no Answer block`);
  });

  // Hints and answers only ever as the folded blocks' labels: no "**Hint:**" left in plain sight.
  const stray = text.replace(SUMMARY, '').match(/\b(Hints?|Answers?)\b/g);
  if (stray) problems.push(`"${stray.join('", "')}" outside a <summary> label`);

  const total = /about (\d+) minutes in all/.exec(text);
  const sum = list.reduce((n, e) => n + Number(/\(about (\d+) minutes\)$/.exec(e.heading)?.[1] ?? 0), 0);
  if (!total) problems.push('no total ("about N minutes in all") at the top');
  else if (Number(total[1]) !== sum) problems.push(`the total says ${total[1]} minutes, the exercises add up to ${sum}`);

  for (const [, command] of text.matchAll(/`(npm run experiment\b[^`]*)`/g)) {
    for (const n of commandNames(command)) {
      if (n !== 'all' && !/^<.+>$/.test(n) && !world.experiments.has(n)) problems.push(`\`${command}\`: no experiment named ${n}`);
    }
  }

  for (const [path] of text.matchAll(/\bresults\/[A-Za-z0-9._+\/-]*/g)) {
    const p = path.replace(/\.+$/, '');
    if (GENERATED.some((g) => p.startsWith(g))) continue;
    if (!world.exists(p)) problems.push(`${p} does not exist`);
  }

  const counter = list.find((e) => /`npm run experiment (-- )?counter\b/.test(e.body));
  if (!counter) problems.push('no exercise runs the counter experiment');
  else if (!counter.body.includes('What the program kept in its maps')) problems.push('the counter exercise does not open the maps table');

  return problems;
}

const lab = readFileSync(join(ROOT, 'docs', 'LAB.md'), 'utf8');
const world: World = { experiments: new Set(EXPERIMENTS.map((e) => e.name)), exists: (p) => existsSync(join(ROOT, p)) };

t.test('docs/LAB.md', async (t) => {
  const list = exercises(lab);
  t.ok(list.length >= 9, `${list.length} exercises`);
  t.same(labProblems(lab, world), [], 'every exercise: time, Predict/Run/Open/Explain, folded hint and answer; real commands and paths');
  t.ok(lab.includes('results/raw-veth/report.md'), 'the veth run of raw is opened where it is written');
});

t.test('a broken lab fails the checks', async (t) => {
  /** The lab with `from` replaced (once, and it must be there) by `to`. */
  const broken = (from: string | RegExp, to: string) => {
    const text = lab.replace(from, to);
    if (text === lab) throw new Error(`the lab has no ${String(from)} to break`);
    return labProblems(text, world);
  };
  const cases: [string, string | RegExp, string, RegExp][] = [
    ['a heading without its time', /^(## 1\. .*) \(about \d+ minutes\)$/m, '$1', /exercise 1: no "\(about N minutes\)"/],
    ['a total that does not add up', /about \d+ minutes in all/, 'about 1 minutes in all', /the total says 1 minutes/],
    ['Open before Run', /\*\*Run:\*\*([^]*?)\*\*Open:\*\*/, '**Open:**$1**Run:**', /exercise 1: the steps are not in the order/],
    ['a step left out', '**Explain:**', '**Think:**', /exercise 1: \*\*Explain:\*\* appears 0 times/],
    ['an unclosed <details>', '\n</details>', '\n', /exercise 1: a <details> (opens inside another|is never closed)/],
    ['a hint in plain sight', '**Predict:**', '**Hint:** look at raw_rcv(). **Predict:**', /"Hint" outside a <summary> label/],
    ['an answer in plain sight', '**Open:**', 'Answer: two packets. **Open:**', /"Answer" outside a <summary> label/],
    ['no blank line after <summary>', '<summary>Answer</summary>\n\n', '<summary>Answer</summary>\n', /exercise 1: a <details> block that is not/],
    ['no blank line before </details>', '\n\n</details>', '\n</details>', /exercise 1: a <details> block without a blank line before/],
    ['an experiment that does not exist', '`npm run experiment raw`', '`npm run experiment rwa`', /no experiment named rwa/],
    ['a result file that is not there', 'results/raw/report.md', 'results/rwa/report.md', /results\/rwa\/report\.md does not exist/],
    ['no counter exercise', /`npm run experiment counter`/g, '`npm run experiment udp`', /no exercise runs the counter experiment/],
  ];
  for (const [what, from, to, expected] of cases) {
    const problems = broken(from, to);
    t.ok(problems.some((p) => expected.test(p)), `${what}: ${problems.join('; ') || 'no problem found'}`);
  }
  t.same(labProblems('# A lab\n\nNothing to do.\n', world), ['no exercise ("## N. …")'], 'a lab without exercises');
});
