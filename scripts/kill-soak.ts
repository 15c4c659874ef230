// `npm run kill-soak -- [N]`: N runs of `experiment all`, each killed at a random moment with a random signal
// (SIGKILL, SIGTERM, SIGINT or SIGHUP; to the harness alone or to its whole process group), the next started at
// once; then one run that is let finish, and a check that the machine is as it was before the first:
// namespaces, links, loaded programs, mounts, cgroups, tracefs instances, pins, the top-level printk event,
// processes, temporary files. Exits 1 on any difference, or on a run that exited with the wrong code.
import { mkdtempSync, mkdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT } from './support/errors.ts';
import { machineState } from './support/machine-state.ts';
import { procMounts } from './support/kernel-fs.ts';
import { BUNDLED_CLI, ROOT } from './support/paths.ts';

const runs = Number(process.argv[2] ?? '30');
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run kill-soak -- [N ≥ 1]');
  process.exit(EXIT.usage);
}

const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const;
/** What a run that was signalled before it finished exits with (SIGKILL: killed, no code). */
const EXPECTED: Record<(typeof SIGNALS)[number], number | null> = { SIGKILL: null, SIGTERM: EXIT.terminated, SIGINT: EXIT.interrupted, SIGHUP: EXIT.hangup };
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

const base = mkdtempSync(join(tmpdir(), 'edl-soak-kill-'));
// A system tracefs mount for the duration, when there is none, so the snapshot sees the printk event.
let tracefs: string | null = null;
if (!procMounts().some((m) => m.type === 'tracefs')) {
  tracefs = join(base, 'tracefs');
  mkdirSync(tracefs);
  await execa('mount', ['-t', 'tracefs', 'none', tracefs]);
}
const before = await machineState();
// The bundle, as `npm run experiment` runs it (tsx would spend most of the first second compiling).
const start = (i: number) =>
  execa(process.execPath, [BUNDLED_CLI, 'experiment', 'all', '--results', join(base, `results${i}`), '--logs', join(base, 'logs')], {
    cwd: ROOT,
    detached: true, // a process group of its own, as a terminal's job has
    reject: false,
    all: true,
  });

let wrong = 0;
const tally = new Map<string, number>();
try {
  for (let i = 0; i < runs; i++) {
    const [signal, target, delay] = [pick(SIGNALS), pick(['harness', 'group'] as const), Math.random() * 2000];
    const run = start(i);
    await Promise.race([run, new Promise((resolve) => setTimeout(resolve, delay))]);
    const finished = run.exitCode !== null;
    if (!finished) process.kill(target === 'group' ? -run.pid! : run.pid!, signal);
    const result = await run;
    const want = finished ? EXIT.ok : EXPECTED[signal];
    // A signal to the group also reaches the harness's children; the harness must still clean up and say so.
    // A signal before the harness has set its handlers (while node loads it) kills it, as it would any
    // program; it has made nothing by then, which its silence shows.
    const early = result.signal === signal && result.all === '';
    // A signal that lands while a finished run exits (its last line printed) finds the exit under way: 0 is right.
    const late = result.exitCode === EXIT.ok && /See them byte by byte/.test(result.all ?? '');
    const ok = result.exitCode === want || (want === null && result.signal === 'SIGKILL') || early || late;
    const what = finished ? 'finished first' : `${signal} to the ${target} after ${(delay / 1000).toFixed(2)} s${early ? ' (before it started)' : late ? ' (as it was exiting, done)' : ''}`;
    tally.set(finished ? 'finished first' : signal, (tally.get(finished ? 'finished first' : signal) ?? 0) + 1);
    console.log(`run ${i + 1}/${runs}: ${what}: exit ${result.exitCode ?? result.signal}${ok ? '' : ` — WRONG, expected ${want}\n${result.all}`}`);
    if (!ok) wrong++;
  }
  // The last one runs through; its sweep removes what the SIGKILLed ones left.
  const last = await start(runs);
  console.log(`final run: exit ${last.exitCode}`);
  if (last.exitCode !== EXIT.ok) {
    console.log(last.all);
    wrong++;
  }
} finally {
  rmSync(join(base, 'logs'), { recursive: true, force: true });
}
const after = await machineState();
const gone = before.filter((l) => !after.includes(l));
const added = after.filter((l) => !before.includes(l));
if (tracefs) {
  await execa('umount', [tracefs]);
  rmdirSync(tracefs);
}
rmSync(base, { recursive: true, force: true });
console.log(`\n${runs} runs killed or let finish (${[...tally].map(([k, n]) => `${k} ${n}`).join(', ')}), then one to completion.`);
if (gone.length + added.length === 0) console.log('The machine is as it was: namespaces, links, programs, mounts, cgroups, tracefs instances, pins, printk event, processes, temporary files.');
else console.log(`The machine changed:\n${[...gone.map((l) => `  - ${l}`), ...added.map((l) => `  + ${l}`)].join('\n')}`);
if (wrong) console.log(`${wrong} run(s) exited with the wrong code (above).`);
process.exitCode = gone.length + added.length + wrong === 0 ? EXIT.ok : EXIT.bug;
