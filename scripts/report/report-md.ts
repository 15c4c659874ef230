// report.md of one result folder.
import { cell } from './markdown.ts';
import { whereFound } from './dumps-txt.ts';
import { layerName } from '../vocabulary/layers.ts';
import { shapeName } from '../analysis/study.ts';
import { STUDY_CONCLUSION } from '../analysis/reach.ts';
import { REACH_EXPERIMENTS } from '../../experiments/reach.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import { directionText, lostText, pktTypeText, seenAndRead, type Summary } from './summary-json.ts';
import { REACH_COLUMNS, reachCells } from './reach-text.ts';

/** report.md: the run in prose and tables, from summary.json and the experiment's own text (why, the 2017 study). */
export function renderReport(s: Summary, spec: ExperimentSpec, pcapngNote: string, indexAbove: boolean): string {
  const packets = s.kernel_view.packets;
  const readsIn = (i: number) =>
    s.user_view.reads
      .flatMap((r, j) => (r.found_in?.packet === i ? [r.length ? `read #${j} at offset ${r.found_in.offset}` : `read #${j}: cut at offset ${r.found_in.offset}`] : []))
      .join(', ') || '—';
  const lines = [
    `# ${s.experiment}: ${s.title}`,
    '',
    `Kernel \`${s.kernel}\`, channel \`${s.channel}\`, topology \`${s.topology}\`, program \`${s.program.name}\` ` +
      `from \`${s.program.object}\` (hook ${s.hook}, returns ${s.program.returns}).`,
    '',
    `Traffic: ${s.traffic.map((t) => `\`${t}\``).join(', then ')}.`,
    '',
    s.status.kind === 'unsupported' || s.status.kind === 'failed' ? `**${s.overview.status}.**\n` : '',
    s.note ? `**Note:** ${s.note}.\n` : '',
    `**${seenAndRead(s)}**`,
    lostText(s) ? `\n**${lostText(s)}.**` : '',
    '',
    '## What the program saw',
    '',
    '| # | direction | pkt_type | length | first layer | TCP flags | payload | user bytes | decoded |',
    '|---|---|---|---|---|---|---|---|---|',
    ...packets.map(
      (p, i) =>
        `| ${i} | ${directionText(p.direction) ?? '—'} | ${pktTypeText(s, p) ?? '—'} | ${p.length} B | ${layerName[p.starts_with]} | ${p.tcp_flags?.join(', ') || '—'} | ${p.payload_length} B at offset ${p.payload_offset} | ${readsIn(i)} | ${cell(p.summary)} |`,
    ),
    '',
    s.kernel_view.pkt_type_not_meaningful && packets.length ? `pkt_type is not meaningful here: ${s.kernel_view.pkt_type_not_meaningful}.\n` : '',
    '## What the server received',
    '',
    '| # | length | where these bytes are in the program\'s view |',
    '|---|---|---|',
    ...s.user_view.reads.map((r, i) => `| ${i} | ${r.length} B | ${whereFound(r)} |`),
    '',
    ...renderReach(s),
    ...renderObserver(s),
    ...renderMaps(s),
    ...renderChecks(s),
    '## At a glance',
    '',
    ...Object.entries(s.overview).map(([k, v]) => `- ${k.replace(/_/g, ' ')}: ${v}`),
    '',
    ...(s.why.length ? ['## Why', '', ...s.why.flatMap((w) => [w, ''])] : []),
    ...renderStudy(spec, s),
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

function renderStudy(spec: ExperimentSpec, s: Summary): string[] {
  const study = spec.study;
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
    ...conclusionTestedBy(spec),
  ];
}

/** Where the study's conclusion about this socket is put to the test: the reach-* twin (and cbpf-tcp). */
function conclusionTestedBy(spec: ExperimentSpec): string[] {
  const twin = REACH_EXPERIMENTS.find((r) => r.name === `reach-${spec.name}`);
  if (!twin) return [];
  const also = spec.name === 'tcp' ? ', and [cbpf-tcp](../cbpf-tcp/report.md) with a classic BPF filter' : '';
  return [
    `The study also concluded that ${STUDY_CONCLUSION}. This experiment reproduces its observations; ` +
      `[${twin.name}](../${twin.name}/report.md) tests that conclusion on the same socket and traffic${also}, ` +
      "and `../README.md` (\"The study's conclusion on this kernel\") gives the verdict its run computed.",
    '',
  ];
}

/** What the filter read outside its view, and the 2017 study's conclusion against it. */
function renderReach(s: Summary): string[] {
  if (!s.reach) return [];
  return [
    '## Outside its view: what the filter read besides its own bytes',
    '',
    `The 2017 study concluded that ${STUDY_CONCLUSION}. ${s.reach.verdict.text}`,
    '',
    `| # | ${REACH_COLUMNS.map((c) => c.heading).join(' | ')} |`,
    `|---|${REACH_COLUMNS.map(() => '---').join('|')}|`,
    ...s.reach.packets.map((r) => `| ${r.packet} | ${reachCells(r).map(cell).join(' | ')} |`),
    '',
  ];
}
