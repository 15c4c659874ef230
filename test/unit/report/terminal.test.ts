// The terminal summary: columns line up, and colour only for a TTY without NO_COLOR.
import t from 'tap';
import { painter, paintStatus, sideBySide } from '../../../scripts/report/terminal.ts';
import type { Summary } from '../../../scripts/report/summary-json.ts';

const packet = (length: number, flags: string[], payload: number, offset: number) => ({
  length, starts_with: 'tcp', tcp_flags: flags, payload_length: payload, payload_offset: offset,
});
const summary = {
  kernel_view: { packets: [packet(40, ['SYN'], 0, 40), packet(43, ['PSH', 'ACK'], 11, 32)] },
  user_view: { reads: [{ length: 11, found_in: { packet: 1, offset: 32 } }, { length: 3, found_in: null }] },
} as unknown as Summary;

t.test('side by side: each read beside the packet it was found in', async (t) => {
  const plain = painter({ isTTY: false } as NodeJS.WriteStream);
  const width = '#1 43 B tcp PSH|ACK payload 11 B @32'.length; // the longest left cell sets the column
  t.equal(
    sideBySide(summary, plain),
    [
      `  ${'the program saw'.padEnd(width)} │ the server read`,
      `  ${'#0 40 B tcp SYN'.padEnd(width)} │`,
      '  #1 43 B tcp PSH|ACK payload 11 B @32 │ read #0 11 B = #1 from @32',
      `  ${''.padEnd(width)} │ read #1 3 B`,
    ].join('\n'),
  );
});

t.test('colour: only on a TTY, never with NO_COLOR', async (t) => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const saved = process.env.NO_COLOR;
  delete process.env.NO_COLOR;
  const differs: Pick<Summary, 'status' | 'original'> = { status: { kind: 'ok' }, original: { status: 'differs', differences: [] } };
  const failed: Pick<Summary, 'status' | 'original'> = {
    status: { kind: 'failed', reason: 'a check failed', exit_code: 7 },
    original: { status: 'reproduced', differences: [] },
  };
  t.match(paintStatus(painter(tty), differs, 'differs'), /\u001b\[33mdiffers/, 'yellow on a TTY');
  t.match(paintStatus(painter(tty), failed, 'reproduced'), /\u001b\[31mreproduced/, 'red when the run failed, whatever the text says');
  process.env.NO_COLOR = '1';
  t.equal(paintStatus(painter(tty), differs, 'differs'), 'differs', 'plain with NO_COLOR');
  if (saved === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = saved;
  t.equal(paintStatus(painter({ isTTY: false } as NodeJS.WriteStream), failed, 'failed'), 'failed', 'plain when piped');
});
