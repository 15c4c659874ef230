// What `npm run experiment` prints per experiment: the program's view and the reads side by side, in
// colour on a terminal (never with NO_COLOR set or when the output is not a TTY).
import { styleText } from 'node:util';
import type { Summary } from './summary-json.ts';
import type { RunStatus } from '../vocabulary/run-status.ts';

export type Paint = (style: Parameters<typeof styleText>[0], text: string) => string;

/** Colour only for a person at a terminal who did not opt out. */
export function painter(stream: NodeJS.WriteStream = process.stdout): Paint {
  const color = Boolean(stream.isTTY) && !process.env.NO_COLOR;
  // We decide about colour ourselves; styleText's own check would look at process.stdout only.
  return color ? (format, text) => styleText(format, text, { validateStream: false }) : (_format, text) => text;
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

/** Two columns: each packet the program saw, and beside it the read found in it (if any). */
export function sideBySide(s: Summary, paint: Paint): string {
  const left = s.kernel_view.packets.map((p, i) => {
    const flags = p.tcp_flags ? ` ${p.tcp_flags.join('|')}` : '';
    const payload = p.payload_length ? ` payload ${p.payload_length} B @${p.payload_offset}` : '';
    return `#${i} ${p.length} B ${p.starts_with}${flags}${payload}`;
  });
  const right = left.map(() => '');
  const unplaced: string[] = [];
  s.user_view.reads.forEach((r, j) => {
    const text = `read #${j} ${r.length} B${r.found_in ? ` = #${r.found_in.packet} from @${r.found_in.offset}` : ''}`;
    if (r.found_in && right[r.found_in.packet] === '') right[r.found_in.packet] = text;
    else unplaced.push(text);
  });
  const width = Math.max(24, ...left.map((l) => l.length));
  const rows = [
    `  ${paint('bold', 'the program saw'.padEnd(width))} │ ${paint('bold', 'the server read')}`,
    ...left.map((l, i) => `  ${l.padEnd(width)} │ ${paint('cyan', right[i])}`),
    ...unplaced.map((u) => `  ${''.padEnd(width)} │ ${paint('cyan', u)}`),
  ];
  return rows.map((r) => r.trimEnd()).join('\n');
}
