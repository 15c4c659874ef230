// kernels.lock.json: parsing and validation, the committed lock against the committed results, writing it,
// and what `npm run kernels -- update` prints. No network, no root.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, EXIT } from '../../../scripts/support/errors.ts';
import { ROOT } from '../../../scripts/support/paths.ts';
import { KERNEL_SERIES, SERIES } from '../../../scripts/vm/kernel-series.ts';
import { BUILT_KERNELS, builtRelease } from '../../../scripts/vm/build/built-kernels.ts';
import {
  LOCK_FILE, describeUpdate, lockChanges, parseLock, readLock, renderLock, writeLock, type LockedKernel, type LockedKernels,
} from '../../../scripts/vm/kernel-lock.ts';
import { tempDir } from '../../helpers.ts';

const COMMITTED = readFileSync(LOCK_FILE, 'utf8');

/** The error a lock text gives: always exit 2 (the lock is the user's input), anything else fails the test. */
function lockError(text: string): HarnessError {
  try {
    parseLock(text);
  } catch (e) {
    if (e instanceof HarnessError && e.code === EXIT.usage) return e;
    throw e;
  }
  throw new Error('the lock parsed');
}

const edited = (edit: (lock: { kernels: Record<string, Record<string, unknown>> }) => void) => {
  const json = JSON.parse(COMMITTED);
  edit(json);
  return JSON.stringify(json);
};

t.test('the committed lock', async (t) => {
  const lock = readLock();
  t.same(Object.keys(lock), KERNEL_SERIES, 'every series, in order');
  // The committed results were made on exactly the locked kernels: the lock must not move them.
  const results = readdirSync(join(ROOT, 'results', 'kernels'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  // Besides them, the kernels built here from Debian's source (scripts/vm/build/) have their folders.
  t.same([...KERNEL_SERIES.map((s) => lock[s].release), ...BUILT_KERNELS.map(builtRelease)].sort(), results.sort(),
    'one locked (or built) release per results/kernels/ folder');
  for (const s of KERNEL_SERIES) t.match(lock[s].release, SERIES[s].release, `${s} locks a ${s} kernel`);
  t.equal(renderLock(lock), COMMITTED, 'written as update writes it (a change to one series is a small diff)');
  t.match(JSON.parse(COMMITTED).about, /npm run kernels -- update/, 'the file says what it is and how it changes');
});

t.test('invalid locks: every problem named, exit 2, what to do', async (t) => {
  t.match(lockError('{"kernels": {').message, /is not valid JSON/);
  t.match(lockError('{"about": "x"}').message, /has no "kernels" object/);
  const e = lockError(edited((l) => {
    delete l.kernels['5.10'];
    l.kernels['6.2'] = l.kernels['6.1'];
    l.kernels['6.1'].release = '6.12.118+deb12-cloud-amd64';
    (l.kernels['6.12'].packages as { sha256: string }[])[0].sha256 = 'ABC';
    (l.kernels.newest.packages as { size: unknown }[])[1].size = '417436';
    l.kernels.newest.version = 'latest';
  }));
  t.match(e.message, '5.10: missing');
  t.match(e.message, '6.2: not a series');
  t.match(e.message, '6.1.release: "6.12.118+deb12-cloud-amd64" is not a 6.1 kernel');
  t.match(e.message, '6.1.packages[0].name: "linux-image-6.1.0-57-cloud-amd64" should be linux-image-6.12.118+deb12-cloud-amd64');
  t.match(e.message, '6.12.packages[0].sha256: expected 64 lowercase hex digits');
  t.match(e.message, 'newest.packages[1].size: expected a size in bytes');
  t.match(e.message, 'newest.version: "latest" is not a Debian version');
  t.match(e.message, /git checkout -- kernels\.lock\.json[\s\S]*npm run kernels -- update/, 'says how to get a good one');
  const foreign = lockError(edited((l) => { (l.kernels.newest.packages as { name: string }[])[2].name = 'linux-binary-7.2.12+deb14-cloud-amd64'; }));
  t.match(foreign.message, 'newest.packages[2].name: "linux-binary-7.2.12+deb14-cloud-amd64" is not a package of 7.2.13+deb14-cloud-amd64');
  const missing = join(tempDir('lock'), 'kernels.lock.json');
  t.throws(() => readLock(missing), { code: EXIT.usage, message: /cannot be read \(ENOENT\)/ });
});

t.test('only the known fields are kept', async (t) => {
  const lock = parseLock(edited((l) => { l.kernels['6.1'].comment = 'mine'; }));
  t.notOk('comment' in lock['6.1']);
});

t.test('writing the lock', async (t) => {
  const dir = tempDir('lock');
  const file = join(dir, 'kernels.lock.json');
  const lock = parseLock(COMMITTED);
  writeLock(lock, file);
  t.equal(readFileSync(file, 'utf8'), COMMITTED);
  // A lock the next run would refuse is never written, and the file stays as it was.
  const bad = { ...lock, '6.1': { ...lock['6.1'], release: 'nonsense' } };
  t.throws(() => writeLock(bad, file), { code: EXIT.usage });
  t.equal(readFileSync(file, 'utf8'), COMMITTED);
  t.same(readdirSync(dir), ['kernels.lock.json'], 'no temporary file left');
});

const newer61: LockedKernel = {
  suite: 'bookworm-security', release: '6.1.0-58-cloud-amd64', version: '6.1.193-1',
  packages: [{ name: 'linux-image-6.1.0-58-cloud-amd64', sha256: 'b'.repeat(64), size: 26800000 }],
};

t.test('what update prints', async (t) => {
  const old = parseLock(COMMITTED);
  const results = tempDir('results');
  mkdirSync(join(results, 'kernels', old['6.1'].release), { recursive: true });
  mkdirSync(join(results, 'kernels', old['6.12'].release), { recursive: true });

  const next: LockedKernels = { ...old, '6.1': newer61 };
  t.same(lockChanges(old, next).map((c) => c.series), ['6.1']);
  const lines = describeUpdate(old, next, ['6.1', '6.12'], results);
  t.equal(lines[0], '6.1     6.1.0-57-cloud-amd64 (6.1.192-3) → 6.1.0-58-cloud-amd64 (6.1.193-1)  [bookworm-security]');
  t.equal(lines[1], '6.12    6.12.118+deb12-cloud-amd64 (6.12.118-1~deb12u1): unchanged, the newest Debian offers');
  t.ok(lines.includes('kernels.lock.json updated.'));
  const text = lines.join('\n');
  t.match(text, 'results/kernels/6.1.0-57-cloud-amd64/ was made on the kernel 6.1 no longer locks: it is stale');
  t.match(text, 'git rm -r -q results/kernels/6.1.0-57-cloud-amd64/ && npm run experiment -- all --kernel 6.1');
  t.notMatch(text, 'results/kernels/6.12', 'an unchanged series makes nothing stale');

  // Same release, another build: the folder keeps its name but is stale all the same.
  const rebuilt: LockedKernels = { ...old, '6.12': { ...old['6.12'], version: '6.12.118-2~deb12u1' } };
  const again = describeUpdate(old, rebuilt, ['6.12'], results).join('\n');
  t.match(again, 'results/kernels/6.12.118+deb12-cloud-amd64/ was made with 6.12.118-1~deb12u1, now 6.12.118-2~deb12u1: it is stale');
  t.match(again, '  npm run experiment -- all --kernel 6.12');

  // No results yet for the old kernel: say how to make the new one's.
  t.match(describeUpdate({ ...old, '6.1': { ...old['6.1'], release: '6.1.0-50-cloud-amd64' } }, next, ['6.1'], results).join('\n'),
    'results/kernels/6.1.0-58-cloud-amd64/ does not exist yet. Make it with');
  mkdirSync(join(results, 'kernels', newer61.release));
  t.match(describeUpdate({ ...old, '6.1': { ...old['6.1'], release: '6.1.0-50-cloud-amd64' } }, next, ['6.1'], results).join('\n'),
    'results/kernels/6.1.0-58-cloud-amd64/ is there already, made before it was locked: make sure it is current with');
  // A series the old lock lacked (a lock written anew).
  t.match(describeUpdate({}, next, ['5.10'], results)[0], '5.10    (not locked) → 5.10.0-46-cloud-amd64');

  const nothing = describeUpdate(old, old, KERNEL_SERIES, results);
  t.equal(nothing.at(-1), 'kernels.lock.json is unchanged.');
  t.equal(nothing.length, KERNEL_SERIES.length + 1);
  t.ok(existsSync(join(results, 'kernels', old['6.1'].release)), 'describing touches nothing');
});

t.test('a lock with extra whitespace or key order still parses', async (t) => {
  const file = join(tempDir('lock'), 'kernels.lock.json');
  const json = JSON.parse(COMMITTED);
  writeFileSync(file, JSON.stringify({ kernels: json.kernels }));
  t.same(readLock(file), readLock());
});
