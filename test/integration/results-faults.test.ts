// The results folder on a full file system and on a read-only one: exit 9 with a message that says which and
// what to do, the folder exactly as it was, and nothing of the run left behind.
import t from 'tap';
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../scripts/support/paths.ts';
import { EXIT } from '../../scripts/support/errors.ts';
import { NEEDS_ROOT, cli, leftovers, tempDir } from '../helpers.ts';

/** Every file under `dir` (hidden ones too) with its bytes, to compare before and after. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[path.slice(dir.length)] = readFileSync(path, 'base64');
    }
  };
  walk(dir);
  return out;
}

/** A small tmpfs holding the committed tcp results and overview, unmounted at the end of the test. */
async function smallResults(t: { teardown: (fn: () => Promise<void>) => void }, size: string): Promise<string> {
  const dir = tempDir('small-fs');
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'edl-test-results', dir]);
  t.teardown(() => execa('umount', [dir]).then(() => undefined));
  cpSync(join(ROOT, 'results', 'tcp'), join(dir, 'tcp'), { recursive: true });
  for (const page of ['README.md', 'index.html']) cpSync(join(ROOT, 'results', page), join(dir, page));
  return dir;
}

t.test('a read-only results folder: exit 9, nothing changed, nothing left', { skip: NEEDS_ROOT }, async (t) => {
  const dir = await smallResults(t, '1m');
  await execa('mount', ['-o', 'remount,ro', dir]);
  const before = tree(dir);
  const child = cli(['experiment', 'tcp', '--results', dir, '--logs', tempDir('ro-logs')]);
  const run = await child;
  t.equal(run.exitCode, EXIT.output, run.all);
  t.match(run.stderr, /cannot write into .*: the file system is read-only \(EROFS\) — choose a writable folder with --results.*nothing there was changed/);
  t.notMatch(run.all, /\n\s+at /, 'no stack trace');
  t.notMatch(run.all, /\[tcp\]/, 'it failed before running anything');
  t.same(tree(dir), before, 'the folder is as it was');
  t.same(await leftovers(child.pid!), [], 'nothing left');
});

t.test('a full results file system: exit 9, nothing changed, nothing left', { skip: NEEDS_ROOT }, async (t) => {
  const dir = await smallResults(t, '512k');
  // Fill it up but for a few kilobytes: the run starts, and its results cannot be written.
  const { blocks_available, block_size } = JSON.parse((await execa('stat', ['-f', '-c', '{"blocks_available": %a, "block_size": %S}', dir])).stdout);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, blocks_available * block_size - 8192)));
  const before = tree(dir);
  const child = cli(['experiment', 'tcp', 'udp', '--results', dir, '--logs', tempDir('full-logs')]);
  const run = await child;
  t.equal(run.exitCode, EXIT.output, run.all);
  t.match(run.stderr, /cannot write into .*: the file system is full \(ENOSPC\) — free some space, or choose another folder.*nothing there was changed/);
  t.notMatch(run.all, /\n\s+at /, 'no stack trace');
  t.same(tree(dir), before, 'the folder is as it was');
  t.same(await leftovers(child.pid!), [], 'nothing left');
});
