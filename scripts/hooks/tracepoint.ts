// BTF-enabled tracepoints (tp_btf/…, BPF_TRACE_RAW_TP): system-wide, typed access to the tracepoint's
// arguments; the return value is ignored.
import { join } from 'node:path';
import { TRACING, defineHook } from './hook.ts';

export const TRACEPOINT = defineHook({
  ...TRACING,
  name: 'tracepoint',
  programText: 'tracepoint program',
  async probe(ctx) {
    if (!ctx.exists('/sys/kernel/btf/vmlinux')) {
      return { reason: 'tp_btf programs need kernel BTF (CONFIG_DEBUG_INFO_BTF is not set)', missing: 'CONFIG_DEBUG_INFO_BTF' };
    }
    const tracefs = await ctx.tracefs('tracepoints are listed in tracefs');
    if (ctx.tracepoint && !ctx.exists(join(tracefs, 'events', ctx.tracepoint))) {
      return { reason: `the tracepoint ${ctx.tracepoint} does not exist`, missing: `tracepoint ${ctx.tracepoint}` };
    }
    return null;
  },
  attach: (ctx) => ctx.attachBySection(),
});
