// The system's tracing state as it was. Verifying a program that calls bpf_trace_printk makes the kernel
// enable the bpf_trace/bpf_trace_printk event in the top-level tracefs instance (kernel/trace/bpf_trace.c,
// since 5.9), so from then on every such line also fills the system-wide buffer. Since "bpf: Fix deadlock
// between rcu_tasks_trace and event_mutex" (2025, also in stable kernels) it does so from a work queue
// (set_printk_work), a little *after* the load returns: turning the event off right after a load can come
// before the kernel turns it on. Where the event was off when the run began, the run therefore waits, after each load, for the kernel's write and then turns the event off,
// and no program of this run prints while another of its loads is under way (the two are kept apart). Its
// own lines go to its private instance, whose event is its own. A record in the temporary folder lets the
// next run turn the event off if this one is killed. Where the event was on, it was someone's choice: left
// alone.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './cleanup.ts';
import { kernelFs } from './kernel-fs.ts';
import { ownedName } from './owned-names.ts';

const EVENT = join('events', 'bpf_trace', 'bpf_trace_printk', 'enable');
const HINT = 'the harness reads the top-level bpf_trace_printk event to leave it as it found it';
/** The record's label: a file `.edl-<run id>-printk-was-off` in the temporary folder. */
export const PRINTK_RECORD = 'printk-was-off';
/** How long a load's work item may take to run (measured: a few ms; a TCG guest is slower). */
const WORK_WAIT_MS = 1_000;

export interface PrintkGuard {
  /** Runs `load` (a program load); where `printk` (the object calls bpf_trace_printk), resolves once the
   *  event the load enabled is off again. Loads may overlap each other, never a stretch of printing. */
  load<T>(printk: boolean, load: () => Promise<T>): Promise<T>;
  /** Starts a stretch in which this run's programs print; no load of this run overlaps it until the
   *  returned function is called. */
  printing(): Promise<() => void>;
}

/** Where there is nothing to keep: the event was on, or the machine has none. */
export const NOTHING_TO_DO: PrintkGuard = { load: (_printk, load) => load(), printing: async () => () => {} };

/** Notes whether the top-level event is off now, and if so keeps it off. Never fails a run: a machine
 *  without tracefs (or that refuses to mount it) has no event to restore. */
export async function guardPrintkEvent(): Promise<PrintkGuard> {
  let path: string;
  try {
    path = join(await kernelFs('tracefs', HINT), EVENT);
  } catch {
    return NOTHING_TO_DO;
  }
  // Before 5.9 there is no such event (bpf_trace_printk wrote to the top-level buffer directly).
  if (!existsSync(path) || readFileSync(path, 'utf8').trim() !== '0') return NOTHING_TO_DO;
  const record = join(tmpdir(), `.${ownedName(PRINTK_RECORD)}`);
  writeFileSync(record, '');
  const off = () => writeFileSync(path, '0');
  onCleanup('the top-level bpf_trace_printk event, turned off as it was', () => {
    off();
    rmSync(record, { force: true });
  });
  const room = twoModeRoom();
  return {
    async load(printk, load) {
      const leave = await room.enter('load');
      try {
        const result = await load();
        if (printk) {
          // The kernel's work item may be merged with another load's and have run already: then the wait
          // ends at its limit, and the event is off anyway.
          for (const until = performance.now() + WORK_WAIT_MS; performance.now() < until; await sleep(1)) {
            if (readFileSync(path, 'utf8').trim() !== '0') break;
          }
          off();
        }
        return result;
      } finally {
        leave();
      }
    },
    printing: () => room.enter('print'),
  };
}

/** A room that any number may share in one mode, and none in the other meanwhile; first come, first in. */
function twoModeRoom() {
  type Mode = 'load' | 'print';
  let inside = 0;
  let mode: Mode | null = null;
  const queue: { mode: Mode; admit: () => void }[] = [];
  const admitWaiting = () => {
    while (queue.length && (inside === 0 || (queue[0].mode === mode))) {
      const next = queue.shift()!;
      mode = next.mode;
      inside++;
      next.admit();
    }
  };
  return {
    enter(wanted: Mode): Promise<() => void> {
      return new Promise((resolve) => {
        queue.push({
          mode: wanted,
          admit: () =>
            resolve(() => {
              if (--inside === 0) mode = null;
              admitWaiting();
            }),
        });
        admitWaiting();
      });
    },
  };
}

/** For a dead run's record: turns the event off, as that run found it. */
export async function turnPrintkEventOff(): Promise<void> {
  const path = join(await kernelFs('tracefs', HINT), EVENT);
  if (existsSync(path)) writeFileSync(path, '0');
}
