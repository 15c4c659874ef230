// Writing into a results folder so that a reader, a crash or a SIGKILL never meets half of a run: every
// experiment folder is written in a staging folder, then swapped with the old one in one step
// (renameat2 RENAME_EXCHANGE), and the pages derived from the folders (README.md, index.html, the kernel
// table) are rendered afresh from what is then in place. A journal written before the first swap makes the
// commit finishable: if the run dies halfway, the next one to open the folder completes it first. Commits
// into one folder take turns under a lock.
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createUndoable, interrupted } from '../support/cleanup.ts';
import { EXIT, HarnessError, outputError } from '../support/errors.ts';
import { fsSyscalls, type FsSyscalls } from '../support/fs-syscalls.ts';
import { ownedName } from '../support/owned-names.ts';
import { deadOwned } from '../support/dead-owned.ts';
import { holdLock } from '../support/ownership.ts';
import { writeAtomic } from '../support/atomic-write.ts';
import { writeKernelTable } from './kernel-matrix.ts';
import { writeOverview } from './write-matrix.ts';
import { RESULT_NAMES } from '../../experiments/index.ts';

/** What a commit swaps in: folders relative to the results folder, each staged with its inode (so a finished
 *  swap is recognised when the journal is replayed), and the folders whose overview pages it re-renders. */
interface Journal {
  entries: { rel: string; ino: number }[];
  overviews: string[];
}

export interface ResultsCommit {
  /** Where to write the folder that becomes <results>/<rel> on commit. */
  folder(rel: string): string;
  /** Swaps the written folders in and re-renders the overview pages of `overviews` (folders relative to
   *  the results folder, '' for itself) and the kernel table. */
  commit(overviews: string[]): Promise<void>;
  /** What was found half-committed by a dead run and completed, one line each. */
  recovered: string[];
}

const NAMES = RESULT_NAMES;

/** The lock of a results folder: commits into one folder take turns (ownership.ts: released by the kernel
 *  if its holder dies). */
function lockResults(root: string, log: (line: string) => void): Promise<() => void> {
  return holdLock(`results ${realpathSync(root)}`, () => log(`[results] waiting for another run to finish writing ${root}`));
}

/** Whether putting the journal's folders in place needs an exchange (an old folder is there), and so the
 *  binding that makes it; loaded only then (koffi costs ~10 ms here and ~0.7 s in a TCG guest). */
async function exchangeFor(root: string, journal: Journal): Promise<FsSyscalls | null> {
  return journal.entries.some(({ rel, ino }) => existsSync(join(root, rel)) && statSync(join(root, rel)).ino !== ino) ? fsSyscalls() : null;
}

/** Puts each staged folder in place; a swap already done (its inode is at the target) is skipped, so a journal
 *  can be replayed after a crash at any point. Where the file system cannot exchange, two renames. */
function swapIn(sys: FsSyscalls | null, root: string, staging: string, journal: Journal): void {
  for (const { rel, ino } of journal.entries) {
    const [target, staged] = [join(root, rel), join(staging, 'new', rel)];
    const now = existsSync(target) ? statSync(target).ino : null;
    if (now === ino || !existsSync(staged)) continue;
    if (now === null) {
      mkdirSync(dirname(target), { recursive: true });
      renameSync(staged, target);
      continue;
    }
    try {
      if (!sys) throw new Error(`bug: no exchange loaded for ${target}`);
      sys.exchange(staged, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
      const old = join(staging, 'old', rel);
      mkdirSync(dirname(old), { recursive: true });
      renameSync(target, old);
      renameSync(staged, target);
    }
  }
}

/** The pages built from the folders: each overview named, and the kernel table where the folder has one. */
function renderDerived(root: string, overviews: string[]): void {
  for (const dir of overviews) writeOverview(join(root, dir), NAMES);
  if (overviews.length > 0 && existsSync(join(root, 'kernels'))) writeKernelTable(root, join(root, 'kernels'));
}

/** Completes the commits of dead runs and removes their other leftovers in the folder (and its kernel
 *  folders): staging folders without a journal, temporary files. */
async function recover(root: string): Promise<string[]> {
  const dirs = [root, ...(existsSync(join(root, 'kernels')) ? readdirSync(join(root, 'kernels')).map((k) => join(root, 'kernels', k)) : [])];
  const lines: string[] = [];
  for (const { name, path } of deadOwned(dirs)) {
    const journal = join(path, 'journal.json');
    if (name.endsWith('-commit') && existsSync(journal)) {
      const j = JSON.parse(readFileSync(journal, 'utf8')) as Journal;
      swapIn(await exchangeFor(root, j), root, path, j);
      renderDerived(root, j.overviews);
      lines.push(`completed the commit a killed run began in ${root}: ${j.entries.map((e) => e.rel).join(', ')}`);
    } else {
      lines.push(`removed ${path}, left by a killed run`);
    }
    rmSync(path, { recursive: true, force: true });
  }
  return lines;
}

/** A write into `root` the machine refused (exit 9), saying what state it left `root` in; any other error
 *  as it is. */
export function writeRefused(error: unknown, root: string, state = 'nothing there was changed'): unknown {
  const failure = outputError(error, root);
  return failure ? new HarnessError(failure.code, `${failure.message}; ${state}`, { cause: error }) : error;
}

/** Creates `root` if need be and completes what dead runs left half-committed there; one line per thing done. */
export async function recoverResults(root: string, log: (line: string) => void = () => {}): Promise<string[]> {
  try {
    mkdirSync(root, { recursive: true });
    const unlock = await lockResults(root, log);
    try {
      return await recover(root);
    } finally {
      unlock();
    }
  } catch (error) {
    throw writeRefused(error, root);
  }
}

/** Opens `root` for writing: creates it, completes what dead runs left half-committed, and makes this
 *  run's staging folder (removed on any exit before the commit). Fails at once, with exit 9, where the
 *  folder cannot be written. */
export async function openResults(root: string, log: (line: string) => void): Promise<ResultsCommit> {
  const staging = join(root, `.${ownedName('commit')}`);
  let journaled = false;
  const recovered = await recoverResults(root, log);
  const make = async () => {
    try {
      // Not recursive: on a read-only file system that would say ENOENT instead of EROFS.
      mkdirSync(staging);
      mkdirSync(join(staging, 'new'));
    } catch (error) {
      throw writeRefused(error, root);
    }
  };
  // Before the journal, the staging folder is just a draft; after it, it is the next run's to complete.
  const { remove } = await createUndoable(`results staging folder ${staging}`, make, () => {
    if (!journaled) rmSync(staging, { recursive: true, force: true });
  });
  const staged = new Set<string>();
  return {
    recovered,
    folder(rel) {
      staged.add(rel);
      return join(staging, 'new', rel);
    },
    async commit(overviews) {
      const unlock = await lockResults(root, log);
      try {
        const entries = [...staged].filter((rel) => existsSync(join(staging, 'new', rel))).map((rel) => ({ rel, ino: statSync(join(staging, 'new', rel)).ino }));
        const journal: Journal = { entries, overviews };
        const sys = await exchangeFor(root, journal);
        if (interrupted()) throw new HarnessError(EXIT.interrupted, 'interrupted');
        // From here on nothing yields to the event loop: no signal handler runs halfway through.
        writeAtomic(join(staging, 'journal.json'), JSON.stringify(journal));
        journaled = true;
        swapIn(sys, root, staging, journal);
        renderDerived(root, overviews);
        rmSync(staging, { recursive: true, force: true });
      } catch (error) {
        throw journaled ? writeRefused(error, root, 'the new experiment folders are in place, and the next run on this folder re-renders the pages that list them') : writeRefused(error, root);
      } finally {
        unlock();
      }
      await remove();
    },
  };
}
