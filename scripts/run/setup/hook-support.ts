// Does this kernel have the hook an experiment needs? Checked before anything is loaded or attached.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { kernelFs } from '../../support/kernel-fs.ts';
import type { ExperimentSpec } from '../../../experiments/spec.ts';
import type { Hook } from '../server/ipc.ts';

/** Why the hook cannot be used here, or null when it can. */
async function missing(hook: Hook, tracepoint: string | undefined): Promise<string | null> {
  if (hook === 'kprobe') {
    // libbpf attaches kprobes through the kprobe PMU, or the legacy kprobe_events file.
    const tracefs = await kernelFs('tracefs', 'kprobes are attached through tracefs');
    if (!existsSync('/sys/bus/event_source/devices/kprobe') && !existsSync(join(tracefs, 'kprobe_events'))) {
      return 'kprobes are not available (no kprobe PMU and no kprobe_events: CONFIG_KPROBES is not set)';
    }
  }
  if (hook === 'tracepoint') {
    if (!existsSync('/sys/kernel/btf/vmlinux')) return 'tp_btf programs need kernel BTF (CONFIG_DEBUG_INFO_BTF is not set)';
    const tracefs = await kernelFs('tracefs', 'tracepoints are listed in tracefs');
    if (tracepoint && !existsSync(join(tracefs, 'events', tracepoint))) return `the tracepoint ${tracepoint} does not exist`;
  }
  return null;
}

/** The experiment as it will run here (its fallback where its own hook is missing), with a note on why. */
export async function resolveHook(spec: ExperimentSpec): Promise<{ spec: ExperimentSpec; note: string | null }> {
  const reason = await missing(spec.hook, spec.tracepoint);
  if (reason === null) return { spec, note: null };
  const fallback = spec.fallback;
  const fallbackReason = fallback ? await missing(fallback.hook, fallback.tracepoint) : 'there is no fallback';
  if (!fallback || fallbackReason !== null) {
    throw new HarnessError(EXIT.unsupported, `unsupported on this kernel: ${reason}; ${fallbackReason}`);
  }
  return {
    spec: {
      ...spec,
      hook: fallback.hook,
      title: fallback.title,
      tracepoint: fallback.tracepoint,
      filter: { ...spec.filter, program: fallback.program },
    },
    note: `${reason}: ${fallback.note}`,
  };
}
