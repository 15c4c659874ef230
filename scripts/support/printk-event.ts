// The system's tracing state as it was. Verifying a program that calls bpf_trace_printk makes the kernel
// enable the bpf_trace/bpf_trace_printk event in the top-level tracefs instance (kernel/trace/bpf_trace.c,
// since 5.9), so from then on every such line also fills the system-wide buffer. Where the event was off
// when the run began, the run turns it off again after each program load (its own lines go to its private
// instance, whose event is its own) and at its end; a record in the temporary folder lets the next run do
// it if this one is killed. Where the event was on, it was someone's choice: left alone.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';
import { kernelFs } from './kernel-fs.ts';
import { ownedName } from './owned-names.ts';

const EVENT = join('events', 'bpf_trace', 'bpf_trace_printk', 'enable');
const HINT = 'the harness reads the top-level bpf_trace_printk event to leave it as it found it';
/** The record's label: a file `.edl-<run id>-printk-was-off` in the temporary folder. */
export const PRINTK_RECORD = 'printk-was-off';

export interface PrintkGuard {
  /** Call after a program is loaded: the kernel may have just enabled the event. */
  afterLoad(): void;
}

const NOTHING_TO_DO: PrintkGuard = { afterLoad() {} };

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
  return { afterLoad: off };
}

/** For a dead run's record: turns the event off, as that run found it. */
export async function turnPrintkEventOff(): Promise<void> {
  const path = join(await kernelFs('tracefs', HINT), EVENT);
  if (existsSync(path)) writeFileSync(path, '0');
}
