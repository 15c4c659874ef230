// One experiment's page: the program's packets beside the server's reads as coloured hex, with the report's facts.
import { OVERVIEW_COLUMNS, overviewCells } from '../matrix.ts';
import { layerName } from '../../vocabulary/layers.ts';
import { directionText, lostText, pktTypeText, seenAndRead, type Summary, type SummaryPacket, type SummaryRead } from '../summary-json.ts';
import { packetBytes, readBytes, type ByteInfo } from './byte-map.ts';
import { hexGrid, legend, type Highlight } from './hex-grid.ts';
import { htmlDocument } from './document.ts';
import { escapeHtml as esc } from './escape.ts';
import { REACH_COLUMNS, reachCells } from '../reach-text.ts';
import { STUDY_CONCLUSION } from '../../analysis/reach.ts';

/** Hovering a byte copies its title (layer, fields, position) into the fixed info box at the bottom. */
const HOVER_SCRIPT = `
const info = document.getElementById('info');
document.addEventListener('mouseover', (e) => {
  const b = e.target instanceof Element ? e.target.closest('[data-offset]') : null;
  if (b) info.textContent = b.title;
});
`;

const code = (text: string) => `<code>${esc(text)}</code>`;

function header(s: Summary, indexAbove: boolean): string {
  const lost = lostText(s);
  return [
    indexAbove ? '<nav><a href="../index.html">All experiments</a></nav>' : '',
    `<h1>${esc(`${s.experiment}: ${s.title}`)}</h1>`,
    `<p>Kernel ${code(s.kernel)}, channel ${code(s.channel)}, topology ${code(s.topology)}, program ${code(s.program.name)} ` +
      `from ${code(s.program.object)} (hook ${esc(s.hook)}, returns ${code(s.program.returns)}).</p>`,
    `<p>Traffic: ${s.traffic.map(code).join(', then ')}.</p>`,
    s.status.kind === 'unsupported'
      ? `<p class="banner unsupported" role="alert">${esc(s.overview.status)}. The experiment did not run here: nothing was captured.</p>`
      : s.status.kind === 'failed'
        ? `<p class="banner failed" role="alert">${esc(s.overview.status)}.</p>`
        : '',
    s.note ? `<p class="banner note"><strong>Note:</strong> ${esc(s.note)}.</p>` : '',
    lost ? `<p class="banner lost" role="alert">${esc(lost)}, so the program saw more than is shown.</p>` : '',
    `<p><strong>${esc(seenAndRead(s))}</strong></p>`,
  ].join('\n');
}

function packetCell(s: Summary, p: SummaryPacket, i: number, bytes: ByteInfo[], reads: SummaryRead[]): string {
  const highlights: Highlight[] = reads.flatMap((r, j) =>
    r.found_in?.packet === i && r.length > 0 ? [{ read: j, offset: r.found_in.offset, length: r.length }] : [],
  );
  const cuts = reads.flatMap((r, j) =>
    r.found_in?.packet === i && r.length === 0 ? [`<a href="#read-${j}">read #${j}</a> got this packet cut after byte ${r.found_in.offset - 1}`] : [],
  );
  const facts = [
    `${p.length} B`,
    p.captured < p.length ? `first ${p.captured} B captured` : '',
    `starts with ${layerName[p.starts_with]}`,
    pktTypeText(s, p) ? `pkt_type ${pktTypeText(s, p)}` : '',
    directionText(p.direction) ?? '',
  ].filter(Boolean);
  const boxed = [...highlights.map((h) => `<a href="#read-${h.read}">read #${h.read}</a> is bytes ${h.offset}–${h.offset + h.length - 1} (boxed)`), ...cuts];
  return [
    `<div class="cell kernel" id="packet-${i}" data-packet="${i}">`,
    `<h3>packet #${i}</h3>`,
    `<p class="meta">${esc(facts.join(' · '))}<br><span class="mono">${esc(p.summary)}</span>${boxed.length ? `<br>${boxed.join('; ')}` : ''}</p>`,
    hexGrid(bytes, { view: `packet #${i}`, highlights }),
    p.captured < p.length ? `<p class="empty">${p.length - p.captured} more byte(s) were beyond what the program could read.</p>` : '',
    '</div>',
  ].join('\n');
}

/** `kind` tells the server's reads from the observer's in ids and hover text. */
function readBlock(r: SummaryRead, j: number, bytes: ByteInfo[], kind: 'read' | 'observer'): string {
  const name = `${kind === 'read' ? 'read' : 'observer read'} #${j}`;
  const facts = [
    `${r.length} B`,
    r.pkt_type ? `pkt_type ${esc(r.pkt_type)}` : '',
    r.found_in && r.length === 0
      ? `<a href="#packet-${r.found_in.packet}">packet #${r.found_in.packet}</a> cut to its first ${r.found_in.offset} B: nothing after its header reached the socket`
      : r.found_in
      ? `the bytes of <a href="#packet-${r.found_in.packet}">packet #${r.found_in.packet}</a> from offset ${r.found_in.offset}`
      : `not found in any packet the program saw; starts with ${layerName[r.starts_with]}`,
  ];
  return [
    `<div class="read" id="${kind}-${j}" data-${kind}="${j}">`,
    `<h3>${name}</h3>`,
    `<p class="meta">${facts.filter(Boolean).join(' · ')}</p>`,
    r.length ? hexGrid(bytes, { view: name, ...(r.found_in ? { origin: r.found_in } : {}) }) : '<p class="empty">an empty read (0 B)</p>',
    '</div>',
  ].join('\n');
}

/** Two aligned columns: each packet, and beside it the reads found in it; reads found nowhere come last. */
function views(s: Summary, packets: ByteInfo[][], reads: ByteInfo[][]): string {
  const ps = s.kernel_view.packets;
  const rs = s.user_view.reads;
  if (ps.length === 0 && rs.length === 0) return '<p class="empty">No packets and no reads to show.</p>';
  const readsIn = (i: number | null) =>
    rs.flatMap((r, j) => ((r.found_in?.packet ?? null) === i ? [readBlock(r, j, reads[j], 'read')] : [])).join('\n');
  const userCell = (content: string) => `<div class="cell user">${content || '<p class="empty">—</p>'}</div>`;
  const unplaced = readsIn(null);
  return [
    '<div class="views">',
    '<h2>What the program saw (kernel)</h2>',
    "<h2>What the server's recv() returned (user)</h2>",
    ...ps.map((p, i) => packetCell(s, p, i, packets[i], rs) + userCell(readsIn(i))),
    ps.length === 0 ? `<div class="cell kernel"><p class="empty">${s.program.no_bytes ? `The program records no bytes (${s.program.no_bytes}): see the server\'s reads${s.kernel_view.maps.length ? ' and "What the program kept in its maps"' : ''}.` : 'The program saw no packets.'}</p></div>` + userCell('') : '',
    unplaced ? '<div class="cell kernel"><p class="empty">These reads are not in any packet the program saw.</p></div>' + userCell(unplaced) : '',
    '</div>',
  ].join('\n');
}

function observer(s: Summary, bytes: ByteInfo[][]): string {
  if (!s.observer_view) return '';
  const reads = s.observer_view.reads;
  return [
    '<h2>What an unfiltered raw socket beside it received</h2>',
    `<p>${reads.length} read(s). The filter's verdict applies to its own socket only.</p>`,
    ...reads.map((r, j) => readBlock(r, j, bytes[j], 'observer')),
  ].join('\n');
}

function table(head: string[], rows: string[][]): string {
  const tr = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${tr(head, 'th')}</thead><tbody>${rows.map((r) => tr(r, 'td')).join('')}</tbody></table>`;
}

function maps(s: Summary): string {
  const entries = s.kernel_view.maps;
  if (entries.length === 0) return '';
  const columns = Object.keys(entries[0]);
  return `<h2>What the program kept in its maps</h2>\n${table(columns.map(esc), entries.map((m) => columns.map((c) => esc(m[c]))))}`;
}

/** What the filter read outside its view (reach.bpf.c), and the study's conclusion against it. */
function reach(s: Summary): string {
  if (!s.reach) return '';
  return [
    '<h2>Outside its view: what the filter read besides its own bytes</h2>',
    `<p>The 2017 study concluded that ${esc(STUDY_CONCLUSION)}. ${esc(s.reach.verdict.text)}</p>`,
    table(['#', ...REACH_COLUMNS.map((c) => c.heading)].map(esc), s.reach.packets.map((r) => [String(r.packet), ...reachCells(r).map(esc)])),
  ].join('\n');
}

function checks(s: Summary): string {
  if (s.checks.length === 0) return '';
  const verdict = (ok: boolean) => (ok ? '<span class="status-ok">✓ ok</span>' : '<span class="status-failed">✗ FAILED</span>');
  return `<h2>Checks</h2>\n${table(
    ['check', 'expected', 'observed', ''],
    s.checks.map((c) => [esc(c.description), esc(c.expected), esc(c.observed), verdict(c.ok)]),
  )}`;
}

function study(s: Summary): string {
  const { status, differences } = s.original;
  if (status === 'no-counterpart') return '';
  const items = differences.map(
    (d) => `<li><strong>${esc(d.kind)}</strong>: ${esc(d.description)}. <em>Why:</em> ${esc(d.explanation ?? 'not known to the harness.')}</li>`,
  );
  return [
    `<h2>Against the 2017 study: <span class="status-${status}">${esc(status)}</span></h2>`,
    items.length ? `<ul>${items.join('')}</ul>` : '<p>This run shows the same packets, layers, lengths and reads.</p>',
  ].join('\n');
}

/** `indexAbove`: ../index.html lists this page (results/ and its kernel folders; not an import's folder). */
export function experimentPage(s: Summary, extra: { pcapngNote?: string; indexAbove: boolean }): string {
  const packets = s.kernel_view.packets.map(packetBytes);
  const reads = s.user_view.reads.map((r) => readBytes(r, packets));
  const observed = s.observer_view?.reads.map((r) => readBytes(r, packets)) ?? [];
  const glance = OVERVIEW_COLUMNS.slice(1).map((c, i) => `<li>${esc(c)}: ${esc(overviewCells(s)[i])}</li>`);
  const files = ['summary.json', 'report.md', 'kernelspace.txt', 'userspace.txt', 'kernelspace.pcapng', 'userspace.pcapng'].map(
    (f) => `<a href="${f}">${f}</a>`,
  );
  const body = [
    `<header>\n${header(s, extra.indexAbove)}\n</header>`,
    '<main>',
    legend([...packets, ...reads, ...observed], { boxed: s.user_view.reads.some((r) => r.found_in) }),
    views(s, packets, reads),
    reach(s),
    observer(s, observed),
    maps(s),
    checks(s),
    '<h2>At a glance</h2>',
    `<ul>${glance.join('')}</ul>`,
    s.why.length ? `<h2>Why</h2>\n${s.why.map((w) => `<p>${esc(w)}</p>`).join('\n')}` : '',
    study(s),
    '<h2>Files</h2>',
    `<p>${files.join(' · ')}</p>`,
    extra.pcapngNote ? `<p>${esc(extra.pcapngNote)}</p>` : '',
    `<p>Masking: ${esc(s.masking)}</p>`,
    '</main>',
    '<div id="info" role="status" aria-live="polite">Hover a byte to see its layer and field.</div>',
  ];
  return htmlDocument(`${s.experiment}: ${s.title}`, body.filter(Boolean).join('\n'), HOVER_SCRIPT);
}
