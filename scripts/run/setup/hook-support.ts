// Does this kernel have the hook an experiment needs? Each hook module probes for itself; checked before
// anything is loaded or attached, and the experiment's fallback hook is used where its own is missing.
import { existsSync } from 'node:fs';
import { hookNamed } from '../../hooks/index.ts';
import { kernelFs } from '../../support/kernel-fs.ts';
import type { KernelLack } from '../../hooks/hook.ts';
import type { ExperimentSpec } from '../../../experiments/spec.ts';
import type { HookName } from '../../hooks/index.ts';

function probe(hook: HookName, tracepoint: string | undefined): Promise<KernelLack | null> {
  return hookNamed(hook).probe({ exists: existsSync, tracefs: (why) => kernelFs('tracefs', why), tracepoint });
}

/** How an experiment runs here: as declared, through its fallback hook (with what that changes), or not at
 *  all because the kernel lacks both. */
export type HookResolution =
  | { kind: 'as-declared'; spec: ExperimentSpec }
  | { kind: 'fallback'; spec: ExperimentSpec; lack: KernelLack; note: string }
  | { kind: 'unsupported'; lack: KernelLack };

export async function resolveHook(spec: ExperimentSpec): Promise<HookResolution> {
  const lack = await probe(spec.hook, spec.tracepoint);
  if (lack === null) return { kind: 'as-declared', spec };
  const fallback = spec.fallback;
  const fallbackLack = fallback ? await probe(fallback.hook, fallback.tracepoint) : null;
  if (!fallback || fallbackLack !== null) {
    const why = fallbackLack ? fallbackLack.reason : 'there is no fallback';
    return { kind: 'unsupported', lack: { ...lack, reason: `${lack.reason}; ${why}` } };
  }
  return {
    kind: 'fallback',
    lack,
    spec: {
      ...spec,
      hook: fallback.hook,
      title: fallback.title,
      tracepoint: fallback.tracepoint,
      filter: { ...spec.filter, program: fallback.program },
    },
    note: `${lack.reason}: ${fallback.note}`,
  };
}
