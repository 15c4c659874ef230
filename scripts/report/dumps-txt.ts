// The two text dumps of a result folder, from summary.json alone: masked bytes (zeroed there) print as xx.
import { hexdump } from './hexdump.ts';
import type { Summary } from './summary-json.ts';

/** kernelspace.txt: one hex dump per packet the program recorded, headed by its length and decoded layers. */
export function renderKernelDump(s: Summary): string {
  const head = [
    `# What the eBPF filter saw: ${s.title}`,
    `# kernel ${s.kernel}, channel ${s.channel}; ${s.kernel_view.packets.length} packet(s); masked bytes are xx`,
  ];
  const blocks = s.kernel_view.packets.map((p, i) => {
    const meta = [p.pkt_type && `pkt_type ${p.pkt_type}`, p.protocol && `protocol ${p.protocol}`, p.ifindex !== null && `ifindex ${p.ifindex}`];
    const captured = p.captured < p.length ? `, first ${p.captured} B captured` : '';
    return [
      `packet #${i}: ${p.length} B${captured}${meta.some(Boolean) ? ` (${meta.filter(Boolean).join(', ')})` : ''}`,
      p.summary,
      hexdump(Buffer.from(p.hex, 'hex'), p.masked),
    ].join('\n');
  });
  return [head.join('\n'), ...blocks].join('\n\n') + '\n';
}

/** userspace.txt: one hex dump per read, with where its bytes are in the program's view. */
export function renderUserDump(s: Summary): string {
  const head = [
    `# What the server's recv() returned: ${s.title}`,
    `# ${s.user_view.reads.length} read(s); masked bytes are xx`,
  ];
  const blocks = s.user_view.reads.map((r, i) =>
    [`read #${i}: ${r.length} B — ${whereFound(r.found_in)}`, hexdump(Buffer.from(r.hex, 'hex'), r.masked)].join('\n'),
  );
  return [head.join('\n'), ...blocks].join('\n\n') + '\n';
}

export function whereFound(f: Summary['user_view']['reads'][number]['found_in']): string {
  return f ? `the bytes of kernel packet #${f.packet} from offset ${f.offset}` : 'not found in any kernel packet';
}
