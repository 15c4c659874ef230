// A view's bytes as a hex grid: one span per byte carrying its layer, fields and offset, plus the layer legend.
import { layerName } from '../../vocabulary/layers.ts';
import { escapeHtml } from './escape.ts';
import type { ByteInfo, ByteLayer } from './byte-map.ts';

const PER_ROW = 16;

/** Bytes [offset, offset + length) of this view that a read returned, boxed and tagged with the read's number. */
export interface Highlight {
  read: number;
  offset: number;
  length: number;
}

const LAYER_ORDER: ByteLayer[] = ['ethernet', 'ipv4', 'ipv6', 'icmp', 'tcp', 'udp', 'sctp', 'payload', 'none'];

function layerLabel(layer: ByteLayer): string {
  return layer === 'none' ? 'no layer' : layerName[layer];
}

/** `view` names the view in hover text ("packet #2"); `origin` says where a read's bytes sit in a packet. */
export function hexGrid(bytes: ByteInfo[], opts: { view: string; highlights?: Highlight[]; origin?: { packet: number; offset: number } }): string {
  const highlights = opts.highlights ?? [];
  const where = (k: number) =>
    `byte ${k} of ${opts.view}` + (opts.origin ? ` (byte ${opts.origin.offset + k} of packet #${opts.origin.packet})` : '');
  const span = (b: ByteInfo, i: number) => {
    const reads = highlights.filter((h) => b.offset >= h.offset && b.offset < h.offset + h.length);
    const classes = [
      'b',
      `layer-${b.layer}`,
      // Layer boundaries get a rule as well as a colour change, for readers who cannot tell the colours apart.
      i === 0 || bytes[i - 1].layer !== b.layer || bytes[i - 1].quoted !== b.quoted ? 'start' : '',
      i % PER_ROW === 7 ? 'gap' : '',
      b.masked ? 'masked' : '',
      b.quoted ? 'quoted' : '',
      reads.length ? 'hl' : '',
      reads.some((h) => h.offset === b.offset) ? 'hl-start' : '',
      reads.some((h) => h.offset + h.length - 1 === b.offset) ? 'hl-end' : '',
    ].filter(Boolean);
    const layer = `${layerLabel(b.layer)}${b.quoted ? ' (quoted by the ICMP error)' : ''}`;
    const title = [layer, ...b.notes, ...reads.map((h) => `returned by read #${h.read}`), where(b.offset)].join(' · ');
    const attrs = [
      `class="${classes.join(' ')}"`,
      `data-layer="${b.layer}"`,
      `data-offset="${b.offset}"`,
      b.fields.length ? `data-field="${escapeHtml(b.fields.join(' '))}"` : '',
      reads.length ? `data-read="${reads.map((h) => h.read).join(' ')}"` : '',
      `title="${escapeHtml(title)}"`,
    ].filter(Boolean);
    return `<span ${attrs.join(' ')}>${b.masked ? 'xx' : b.value.toString(16).padStart(2, '0')}</span>`;
  };
  const rows: string[] = [];
  for (let at = 0; at < bytes.length; at += PER_ROW) {
    const row = bytes.slice(at, at + PER_ROW);
    const ascii = row.map((b) => (!b.masked && b.value >= 0x20 && b.value < 0x7f ? String.fromCharCode(b.value) : '.')).join('');
    // Colour is not the only cue: each row names the layers it holds.
    const tags = [...new Set(row.map((b) => layerLabel(b.layer)))].join(' · ');
    rows.push(
      `<div class="row"><span class="off">${at}</span>${row.map((b, i) => span(b, at + i)).join('')}` +
        `<span class="ascii">${escapeHtml(ascii.padEnd(PER_ROW))}</span><span class="tags">${escapeHtml(tags)}</span></div>`,
    );
  }
  return `<div class="hex" role="group" aria-label="${escapeHtml(`${opts.view}, ${bytes.length} bytes`)}">${rows.join('')}</div>`;
}

/** Swatches for the layers present (in header order), and for the marks used on these bytes. */
export function legend(views: ByteInfo[][], opts: { boxed: boolean }): string {
  const all = views.flat();
  if (all.length === 0) return '';
  const layers = LAYER_ORDER.filter((l) => all.some((b) => b.layer === l)).map(
    (l) => `<li data-legend="${l}"><span class="swatch layer-${l}">${escapeHtml(layerLabel(l))}</span></li>`,
  );
  const marks = [
    '<li><span class="swatch b start">ab</span>a rule where a layer starts</li>',
    all.some((b) => b.masked) ? '<li><span class="swatch b masked">xx</span>masked: varies between runs</li>' : '',
    all.some((b) => b.quoted) ? '<li><span class="swatch b quoted">ab</span>quoted inside an ICMP error</li>' : '',
    opts.boxed ? '<li><span class="swatch b hl hl-start hl-end">ab</span>boxed: the bytes a read returned</li>' : '',
  ];
  return `<ul class="legend" aria-label="legend">${[...layers, ...marks].filter(Boolean).join('')}</ul>`;
}
