// The two text dumps of a result folder, from summary.json alone: masked bytes (zeroed there) print as xx.
import { hexdump } from './hexdump.ts';
import { directionText, pktTypeText, type Summary, type SummaryRead } from './summary-json.ts';

/** kernelspace.txt: one hex dump per packet the program recorded, headed by its length and decoded layers. */
export function renderKernelDump(s: Summary): string {
  const head = [
    `# What the eBPF filter saw: ${s.title}`,
    `# kernel ${s.kernel}, channel ${s.channel}; ${s.kernel_view.packets.length} packet(s); masked bytes are xx`,
    ...(s.kernel_view.pkt_type_not_meaningful ? [`# pkt_type is not meaningful here: ${s.kernel_view.pkt_type_not_meaningful}`] : []),
  ];
  const blocks = s.kernel_view.packets.map((p, i) => {
    const pktType = pktTypeText(s, p);
    const meta = [directionText(p.direction), pktType && `pkt_type ${pktType}`, p.protocol && `protocol ${p.protocol}`, p.ifindex !== null && `ifindex ${p.ifindex}`];
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
    [`read #${i}: ${r.length} B — ${whereFound(r)}`, hexdump(Buffer.from(r.hex, 'hex'), r.masked)].join('\n'),
  );
  return [head.join('\n'), ...blocks].join('\n\n') + '\n';
}

/** Where a read's bytes are in the program's view; an empty read found there is the packet cut at that offset. */
export function whereFound(r: Pick<SummaryRead, 'found_in' | 'length'>): string {
  const f = r.found_in;
  if (!f) return 'not found in any kernel packet';
  return r.length === 0
    ? `kernel packet #${f.packet} cut to its first ${f.offset} B (nothing after its header reached the socket)`
    : `the bytes of kernel packet #${f.packet} from offset ${f.offset}`;
}
