// kprobes (BPF_PROG_TYPE_KPROBE) on a kernel function: system-wide, reading the skb from kernel memory;
// the return value is ignored. libbpf attaches through the kprobe PMU, or the legacy kprobe_events file.
import { join } from 'node:path';
import { TRACING, defineHook } from './hook.ts';

export const KPROBE = defineHook({
  ...TRACING,
  name: 'kprobe',
  programText: 'kprobe',
  async probe(ctx) {
    const tracefs = await ctx.tracefs('kprobes are attached through tracefs');
    if (ctx.exists('/sys/bus/event_source/devices/kprobe') || ctx.exists(join(tracefs, 'kprobe_events'))) return null;
    return {
      reason: 'kprobes are not available (no kprobe PMU and no kprobe_events: CONFIG_KPROBES is not set)',
      missing: 'CONFIG_KPROBES',
    };
  },
  attach: (ctx) => ctx.attachBySection(),
});
