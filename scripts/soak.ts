// `npm run soak -- [N] [experiment…]`: regenerates the results N times (default 20, all experiments) into
// temporary folders and reports every byte that changed against the first run. Exits 1 on any change.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { ROOT, projectScript } from './support/paths.ts';

const [count = '20', ...names] = process.argv.slice(2);
const runs = Number(count);
if (!Number.isInteger(runs) || runs < 2) {
  console.error('usage: npm run soak -- [N ≥ 2] [experiment…]');
  process.exit(2);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** "line L, column C" of the first difference, or null when the texts are equal. */
function firstDifference(a: string, b: string): string | null {
  if (a === b) return null;
  let i = 0;
  while (a[i] === b[i]) i++;
  const line = a.slice(0, i).split('\n').length;
  return `line ${line}: ${JSON.stringify(a.split('\n')[line - 1])} became ${JSON.stringify(b.split('\n')[line - 1])}`;
}

const base = mkdtempSync(join(tmpdir(), 'edl-soak-'));
const dirs: string[] = [];
let changed = 0;
try {
  for (let i = 0; i < runs; i++) {
    const dir = join(base, `run${i}`);
    const started = Date.now();
    const [node, ...cli] = projectScript('scripts/cli');
    const args = [...cli, 'experiment', ...(names.length ? names : ['all']), '--results', dir, '--logs', join(base, 'logs')];
    const result = await execa(node, args, { cwd: ROOT, reject: false, all: true });
    if (result.exitCode !== 0) {
      console.error(`run ${i + 1} failed (exit ${result.exitCode}):\n${result.all}`);
      process.exitCode = 1;
      break;
    }
    dirs.push(dir);
    const diffs = i === 0 ? [] : files(dirs[0]).flatMap((file) => {
      const other = join(dir, relative(dirs[0], file));
      const d = firstDifference(readFileSync(file, 'utf8'), readFileSync(other, 'utf8'));
      return d ? [`  ${relative(dirs[0], file)}: ${d}`] : [];
    });
    changed += diffs.length;
    console.log(`run ${i + 1}/${runs}: ${((Date.now() - started) / 1000).toFixed(1)} s, ${diffs.length ? `${diffs.length} file(s) differ from run 1` : 'identical to run 1'}`);
    for (const d of diffs) console.log(d);
  }
  console.log(changed === 0 ? `\n${dirs.length} runs, every byte identical.` : `\n${changed} difference(s) across ${dirs.length} runs.`);
  if (changed) process.exitCode = 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
