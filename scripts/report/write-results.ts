// Writes one experiment's result folder: report.md, summary.json, the two hex dumps, the two pcapng files and index.html.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hexdump } from './hexdump.ts';
import { cell } from './matrix.ts';
import { experimentPage } from './html/experiment-page.ts';
import { kernelPcapng, pcapngChoice, userPcapng } from './pcapng.ts';
import { layerName } from '../vocabulary/layers.ts';
import { shapeName } from '../analysis/study.ts';
import type { Analysis } from '../analysis/analyze.ts';
import type { Summary } from './summary-json.ts';

/** Replaces a file in one step: a reader never sees half of it, a failure never truncates it. */
export function writeAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** `indexAbove`: the folder sits in a results folder whose index.html lists it (not so for an import). */
export function writeResults(dir: string, a: Analysis, s: Summary, opts: { indexAbove: boolean }): void {
  mkdirSync(dir, { recursive: true });
  const pcapngNote = pcapngChoice(s);
  writeAtomic(join(dir, 'summary.json'), JSON.stringify(s, null, 2) + '\n');
  writeAtomic(join(dir, 'kernelspace.txt'), renderKernelDump(a, s));
  writeAtomic(join(dir, 'userspace.txt'), renderUserDump(a, s));
  writeAtomic(join(dir, 'kernelspace.pcapng'), kernelPcapng(s));
  writeAtomic(join(dir, 'userspace.pcapng'), userPcapng(s));
  writeAtomic(join(dir, 'report.md'), renderReport(a, s, pcapngNote, opts.indexAbove));
  writeAtomic(join(dir, 'index.html'), experimentPage(s, { explanation: a.spec.explanation, pcapngNote, indexAbove: opts.indexAbove }));
}

function renderKernelDump(a: Analysis, s: Summary): string {
  const head = [
    `# What the eBPF filter saw: ${a.spec.title}`,
    `# kernel ${s.kernel}, channel ${s.channel}; ${s.kernel_view.packets.length} packet(s); masked bytes are xx`,
  ];
  const blocks = s.kernel_view.packets.map((p, i) => {
    const meta = [p.pkt_type && `pkt_type ${p.pkt_type}`, p.protocol && `protocol ${p.protocol}`, p.ifindex !== null && `ifindex ${p.ifindex}`];
    const captured = p.captured < p.length ? `, first ${p.captured} B captured` : '';
    return [
      `packet #${i}: ${p.length} B${captured}${meta.some(Boolean) ? ` (${meta.filter(Boolean).join(', ')})` : ''}`,
      p.summary,
      hexdump(a.packets[i].packet.bytes, p.masked),
    ].join('\n');
  });
  return [head.join('\n'), ...blocks].join('\n\n') + '\n';
}

function renderUserDump(a: Analysis, s: Summary): string {
  const head = [
    `# What the server's recv() returned: ${a.spec.title}`,
    `# ${s.user_view.reads.length} read(s); masked bytes are xx`,
  ];
  const blocks = s.user_view.reads.map((r, i) =>
    [`read #${i}: ${r.length} B — ${whereFound(r.found_in)}`, hexdump(a.reads[i].bytes, r.masked)].join('\n'),
  );
  return [head.join('\n'), ...blocks].join('\n\n') + '\n';
}

function whereFound(f: Summary['user_view']['reads'][number]['found_in']): string {
  return f ? `the bytes of kernel packet #${f.packet} from offset ${f.offset}` : 'not found in any kernel packet';
}

function renderReport(a: Analysis, s: Summary, pcapngNote: string, indexAbove: boolean): string {
  const packets = s.kernel_view.packets;
  const readsIn = (i: number) =>
    s.user_view.reads
      .flatMap((r, j) => (r.found_in?.packet === i ? [`read #${j} at offset ${r.found_in.offset}`] : []))
      .join(', ') || '—';
  const lines = [
    `# ${s.experiment}: ${s.title}`,
    '',
    `Kernel \`${s.kernel}\`, channel \`${s.channel}\`, topology \`${s.topology}\`, program \`${s.program.name}\` ` +
      `from \`${s.program.object}\` (hook ${s.hook}, returns ${s.program.returns}).`,
    '',
    `Traffic: ${s.traffic.map((t) => `\`${t}\``).join(', then ')}.`,
    '',
    s.overview.status.startsWith('unsupported') ? `**${s.overview.status}.**\n` : '',
    s.note ? `**Note:** ${s.note}.\n` : '',
    `**The program saw ${packets.length} packet(s); the server's recv() returned ${s.user_view.reads.length} time(s).**`,
    s.kernel_view.lost > 0 ? `\n**${s.kernel_view.lost} record(s) were lost: the ring buffer was full.**` : '',
    '',
    '## What the program saw',
    '',
    '| # | length | first layer | TCP flags | payload | user bytes | decoded |',
    '|---|---|---|---|---|---|---|',
    ...packets.map(
      (p, i) =>
        `| ${i} | ${p.length} B | ${layerName[p.starts_with]} | ${p.tcp_flags?.join(', ') || '—'} | ${p.payload_length} B at offset ${p.payload_offset} | ${readsIn(i)} | ${cell(p.summary)} |`,
    ),
    '',
    '## What the server received',
    '',
    '| # | length | where these bytes are in the program\'s view |',
    '|---|---|---|',
    ...s.user_view.reads.map((r, i) => `| ${i} | ${r.length} B | ${whereFound(r.found_in)} |`),
    '',
    ...renderObserver(s),
    ...renderMaps(s),
    ...renderChecks(s),
    '## At a glance',
    '',
    ...Object.entries(s.overview).map(([k, v]) => `- ${k.replace(/_/g, ' ')}: ${v}`),
    '',
    '## Why',
    '',
    a.spec.explanation,
    '',
    ...renderStudy(a, s),
    '## Files',
    '',
    '- `kernelspace.txt`: one hex dump per packet the filter saw, headed by its length and decoded layers.',
    '- `userspace.txt`: one hex dump per read.',
    '- `summary.json`: all of the above, machine-readable.',
    `- \`index.html\`: the two views side by side, each byte coloured by layer (open it in a browser${indexAbove ? '; `../index.html` is the matrix' : ''}).`,
    '- `kernelspace.pcapng`, `userspace.pcapng`: the packets and the reads for Wireshark or tshark, with per-packet comments ' +
      `(hook, pkt_type, direction). ${pcapngNote}`,
    '',
    `Masking: ${s.masking}`,
    '',
  ];
  return lines.join('\n').replace(/\n{3,}/g, '\n\n');
}

function renderObserver(s: Summary): string[] {
  if (!s.observer_view) return [];
  const reads = s.observer_view.reads;
  return [
    '## What an unfiltered raw socket beside it received',
    '',
    `${reads.length} read(s): ${reads.map((r) => `${r.length} B`).join(', ') || 'none'}. The filter's verdict applies to its own socket only.`,
    '',
  ];
}

function renderMaps(s: Summary): string[] {
  const maps = s.kernel_view.maps;
  if (maps.length === 0) return [];
  const columns = Object.keys(maps[0]);
  return [
    '## What the program kept in its maps',
    '',
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...maps.map((m) => `| ${columns.map((c) => cell(String(m[c]))).join(' | ')} |`),
    '',
  ];
}

function renderChecks(s: Summary): string[] {
  if (s.checks.length === 0) return [];
  return [
    '## Checks',
    '',
    '| check | expected | observed | |',
    '|---|---|---|---|',
    ...s.checks.map((c) => `| ${cell(c.description)} | ${c.expected} | ${c.observed} | ${c.ok ? 'ok' : '**FAILED**'} |`),
    '',
  ];
}

function renderStudy(a: Analysis, s: Summary): string[] {
  const study = a.spec.study;
  if (!study) return [];
  const then = study.packets.map((p) => `${shapeName(p)} from ${layerName[p.startsWith]}`).join(', ');
  const { status, differences } = s.original;
  return [
    `## Against the 2017 study: ${status}`,
    '',
    `In 2017 the filter saw ${study.packets.length} packet(s): ${then}; the server read ${study.reads.map((n) => `${n} B`).join(', ')}.`,
    '',
    ...(differences.length === 0
      ? ['This run shows the same packets, layers, lengths and reads.']
      : differences.map((d) => `- **${d.kind}**: ${d.description}. ${d.explanation ? `*Why:* ${d.explanation}` : '*Why:* not known to the harness.'}`)),
    '',
  ];
}
