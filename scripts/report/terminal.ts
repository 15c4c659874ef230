// What `npm run experiment` prints per experiment: the program's view and the reads side by side, in
// colour on a terminal (never with NO_COLOR set or when the output is not a TTY).
import { styleText } from 'node:util';
import { directionText, pktTypeText, type Summary } from './summary-json.ts';
import type { RunStatus } from '../vocabulary/run-status.ts';

/** Styles text; `colours` says whether it really colours (a pipe or NO_COLOR gets plain text). */
export type Paint = ((style: Parameters<typeof styleText>[0], text: string) => string) & { colours?: boolean };

/** Colour only for a person at a terminal who did not opt out. */
export function painter(stream: NodeJS.WriteStream = process.stdout): Paint {
  const color = Boolean(stream.isTTY) && !process.env.NO_COLOR;
  // We decide about colour ourselves; styleText's own check would look at process.stdout only.
  const paint: Paint = color ? (format, text) => styleText(format, text, { validateStream: false }) : (_format, text) => text;
  paint.colours = color;
  return paint;
}

const STATUS_STYLE: Record<RunStatus['kind'] | 'reproduced' | 'differs', Parameters<typeof styleText>[0]> = {
  ok: 'green',
  fallback: 'green',
  reproduced: 'green',
  differs: 'yellow',
  unsupported: 'magenta',
  failed: 'red',
};

/** One experiment's verdict in a word or a line, coloured by its run status (and the study's verdict). */
export function paintStatus(paint: Paint, s: Pick<Summary, 'status' | 'original'>, text: string): string {
  const study = s.original.status === 'reproduced' || s.original.status === 'differs' ? s.original.status : null;
  return paint(STATUS_STYLE[s.status.kind === 'ok' && study ? study : s.status.kind], text);
}

/** What a read is, beside the packet it was found in. */
function readText(r: Summary['user_view']['reads'][number], j: number): string {
  const f = r.found_in;
  const where = !f ? '' : r.length === 0 ? ` = #${f.packet} cut at offset ${f.offset}` : ` = #${f.packet} at offset ${f.offset}`;
  return `read #${j} ${r.length} B${where}`;
}

/** Each packet the program saw (direction, pkt_type where it means something, layers) and beside it the
 *  read found in it: two columns where they fit in `columns`, else each read under its packet. */
export function sideBySide(s: Summary, paint: Paint, columns = process.stdout.columns || 80): string {
  const left = s.kernel_view.packets.map((p, i) => {
    const flags = p.tcp_flags?.length ? ` ${p.tcp_flags.join('|')}` : '';
    const payload = p.payload_length ? `, payload ${p.payload_length} B at offset ${p.payload_offset}` : '';
    const pktType = pktTypeText(s, p);
    const meta = [directionText(p.direction), pktType && pktType !== 'not meaningful here' ? pktType : null].filter(Boolean).join(' ');
    return `#${i} ${meta ? `${meta} ` : ''}${p.length} B ${p.starts_with}${flags}${payload}`;
  });
  const right: string[][] = left.map(() => []);
  const unplaced: string[] = [];
  s.user_view.reads.forEach((r, j) => {
    const text = readText(r, j);
    if (r.found_in && right[r.found_in.packet]) right[r.found_in.packet].push(text);
    else unplaced.push(text);
  });
  const width = Math.max(24, ...left.map((l) => l.length));
  const widest = Math.max(15, ...right.flat().map((r) => r.length), ...unplaced.map((u) => u.length));
  const lines =
    2 + width + 3 + widest <= columns
      ? [
          `  ${paint('bold', 'the program saw'.padEnd(width))} │ ${paint('bold', 'the server read')}`,
          ...left.flatMap((l, i) =>
            (right[i].length ? right[i] : ['']).map((r, k) => `  ${(k === 0 ? l : '').padEnd(width)} │ ${paint('cyan', r)}`),
          ),
          ...unplaced.map((u) => `  ${''.padEnd(width)} │ ${paint('cyan', u)}`),
        ]
      : [
          `  ${paint('bold', 'the program saw')}, ${paint('cyan', 'and the reads found in each packet')}`,
          ...left.flatMap((l, i) => [`  ${l}`, ...right[i].map((r) => `    ${paint('cyan', `└ ${r}`)}`)]),
          ...unplaced.map((u) => `  ${paint('cyan', `${u}, not in any packet the program saw`)}`),
        ];
  const note = s.kernel_view.pkt_type_not_meaningful && left.length ? [`  (pkt_type is not meaningful here: ${s.kernel_view.pkt_type_not_meaningful})`] : [];
  return [...lines, ...note].map((r) => r.trimEnd()).join('\n');
}

/** The maps the program kept, one entry a line: what a program that only counts has to show. */
function mapLines(s: Summary): string[] {
  return s.kernel_view.maps.map((m) => {
    const { map, ...fields } = m;
    return `  ${map}: ${Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(', ')}`;
  });
}

/** One experiment as the terminal shows it after a run: title, the hook that really ran, the two views
 *  (or the counts of a program that records no bytes) and its maps. `requestedHook` is the catalogue's. */
export function experimentView(s: Summary, requestedHook: string, paint: Paint, columns?: number): string {
  const hook =
    `  at ${s.hook}: ${s.program.name} from ${s.program.object}` +
    (s.hook !== requestedHook ? ` (instead of ${requestedHook}${s.note ? `: ${s.note}` : ''})` : '');
  const views = s.program.no_bytes
    ? [`  the program records no bytes (${s.program.no_bytes}); the server read ${s.user_view.reads.length} time(s)`]
    : [sideBySide(s, paint, columns)];
  const maps = mapLines(s);
  return [
    `${paint('bold', s.experiment)}: ${s.title}`,
    hook,
    ...views,
    ...(maps.length ? [`  ${paint('bold', 'what the program kept in its maps')}`, ...maps] : []),
    ...reachLines(s, paint),
  ].join('\n');
}

/** What the filter read outside its view, as the verdict on the study's conclusion it tests (per packet in report.md). */
function reachLines(s: Summary, paint: Paint): string[] {
  return s.reach ? [`  ${paint('bold', 'outside its view')}: ${s.reach.verdict.text}`] : [];
}
