// `--verbose` on a terminal: each packet's bytes coloured by layer, as the pages colour them, with the bytes
// a read returned shown inverted (the pages box them). Without colour, the plain text dumps serve instead.
import { packetBytes, readBytes, type ByteInfo } from './html/byte-map.ts';
import { layerName, type LayerName } from '../vocabulary/layers.ts';
import type { Paint } from './terminal.ts';
import type { Summary } from './summary-json.ts';

type Style = Parameters<Paint>[0];

const LAYER_STYLE: Record<LayerName | 'none', Style> = {
  ethernet: 'blue',
  ipv4: 'green',
  ipv6: 'green',
  tcp: 'yellow',
  udp: 'yellow',
  icmp: 'cyan',
  sctp: 'yellow',
  payload: 'magenta',
  none: 'gray',
};

function dump(bytes: ByteInfo[], paint: Paint, boxed: (offset: number) => boolean): string {
  const lines: string[] = [];
  for (let row = 0; row < bytes.length; row += 16) {
    const cells = bytes.slice(row, row + 16).map((b) => {
      const text = b.masked ? 'xx' : b.value.toString(16).padStart(2, '0');
      const styled = paint(b.masked ? 'dim' : LAYER_STYLE[b.layer], text);
      return boxed(b.offset) ? paint('inverse', styled) : styled;
    });
    lines.push(`  ${row.toString(16).padStart(4, '0')}  ${cells.join(' ')}`);
  }
  return lines.join('\n');
}

/** The legend, then each packet and the reads found in it. */
export function colouredDumps(s: Summary, paint: Paint): string {
  const used = new Set(s.kernel_view.packets.map((p) => packetBytes(p)).flat().map((b) => b.layer));
  const legend = [...used].map((l) => paint(LAYER_STYLE[l], l === 'none' ? 'other' : layerName[l]));
  const packets = s.kernel_view.packets.map((p) => packetBytes(p));
  const blocks = s.kernel_view.packets.map((p, i) => {
    const reads = s.user_view.reads.flatMap((r, j) => (r.found_in?.packet === i && r.length > 0 ? [{ j, ...r.found_in, length: r.length }] : []));
    const inRead = (offset: number) => reads.some((r) => offset >= r.offset && offset < r.offset + r.length);
    const note = reads.length ? `; ${reads.map((r) => `read #${r.j} inverted`).join(', ')}` : '';
    return `packet #${i}: ${p.length} B, ${p.summary}${note}\n${dump(packets[i], paint, inRead)}`;
  });
  const unplaced = s.user_view.reads.flatMap((r, j) =>
    r.found_in || r.length === 0 ? [] : [`read #${j}: ${r.length} B, not in any packet the program saw\n${dump(readBytes(r, packets), paint, () => false)}`],
  );
  return [`  layers: ${legend.join(' ')} · ${paint('dim', 'xx masked')} · ${paint('inverse', 'read by the server')}`, ...blocks, ...unplaced].join('\n\n');
}
