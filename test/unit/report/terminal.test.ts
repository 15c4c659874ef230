// The terminal summary: columns line up, and colour only for a TTY without NO_COLOR.
import t from 'tap';
import { experimentView, painter, paintStatus, sideBySide } from '../../../scripts/report/terminal.ts';
import type { Summary } from '../../../scripts/report/summary-json.ts';

const packet = (length: number, flags: string[], payload: number, offset: number, direction: string, pkt_type: string | null) => ({
  length, starts_with: 'tcp', tcp_flags: flags, payload_length: payload, payload_offset: offset, direction, pkt_type,
});
const summary = {
  experiment: 'tcp',
  title: 'AF_INET SOCK_STREAM',
  hook: 'socket',
  program: { name: 'dump', object: 'bpf/dump.bpf.c', no_bytes: null },
  note: null,
  kernel_view: {
    pkt_type_not_meaningful: null,
    maps: [],
    packets: [packet(40, ['SYN'], 0, 40, 'to-server', 'host'), packet(43, ['PSH', 'ACK'], 11, 32, 'to-server', 'host')],
  },
  user_view: { reads: [{ length: 11, found_in: { packet: 1, offset: 32 } }, { length: 3, found_in: null }] },
} as unknown as Summary;
const plain = painter({ isTTY: false } as NodeJS.WriteStream);

t.test('side by side: direction, pkt_type, "at offset", each read beside the packet it was found in', async (t) => {
  const longest = '#1 → server host 43 B tcp PSH|ACK, payload 11 B at offset 32';
  const width = longest.length; // the longest left cell sets the column
  t.equal(
    sideBySide(summary, plain, 120),
    [
      `  ${'the program saw'.padEnd(width)} │ the server read`,
      `  ${'#0 → server host 40 B tcp SYN'.padEnd(width)} │`,
      `  ${longest} │ read #0 11 B = #1 at offset 32`,
      `  ${''.padEnd(width)} │ read #1 3 B`,
    ].join('\n'),
  );
});

t.test('at 80 columns, where two columns do not fit: each read under its packet, no line longer than 80', async (t) => {
  const text = sideBySide(summary, plain, 80);
  t.match(text, /#1 → server host 43 B tcp PSH\|ACK, payload 11 B at offset 32\n {4}└ read #0 11 B = #1 at offset 32/);
  t.match(text, /read #1 3 B, not in any packet the program saw/);
  for (const line of text.split('\n')) t.ok(line.length <= 80, `${line.length} columns: ${line}`);
});

t.test('an empty read found in a packet is that packet cut; pkt_type not meaningful is said once', async (t) => {
  const trimmed = {
    ...summary,
    kernel_view: { ...summary.kernel_view, pkt_type_not_meaningful: 'egress', packets: [packet(19, [], 11, 8, 'from-server', null)] },
    user_view: { reads: [{ length: 0, found_in: { packet: 0, offset: 8 } }] },
  } as unknown as Summary;
  const text = sideBySide(trimmed, plain, 120);
  t.match(text, /#0 ← server 19 B tcp, payload 11 B at offset 8 +│ read #0 0 B = #0 cut at offset 8/);
  t.match(text, /\(pkt_type is not meaningful here: egress\)/);
});

t.test('the hook that really ran, and a counting program\'s maps instead of packets', async (t) => {
  const fallback = { ...summary, hook: 'tracepoint', note: 'the tcp_probe tracepoint sees established sockets only' } as unknown as Summary;
  t.match(experimentView(fallback, 'kprobe', plain, 120), /^ {2}at tracepoint: dump from bpf\/dump\.bpf\.c \(instead of kprobe: the tcp_probe/m);
  const counter = {
    ...summary,
    program: { ...summary.program, no_bytes: 'it only counts' },
    kernel_view: { ...summary.kernel_view, packets: [], maps: [{ map: 'counts', ifindex: 1, protocol: 6, packets: 4 }] },
  } as unknown as Summary;
  const text = experimentView(counter, 'socket', plain, 120);
  t.match(text, /the program records no bytes \(it only counts\); the server read 2 time\(s\)/);
  t.match(text, /counts: ifindex 1, protocol 6, packets 4/);
  t.notMatch(text, /the program saw/);
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
