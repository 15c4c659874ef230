// `--verbose` on a terminal: layers in the pages' colours, masked bytes as xx, the read's bytes inverted.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { colouredDumps } from '../../../scripts/report/terminal-dump.ts';
import { painter } from '../../../scripts/report/terminal.ts';
import type { Summary } from '../../../scripts/report/summary-json.ts';

const tcp = JSON.parse(readFileSync('results/tcp/summary.json', 'utf8')) as Summary;

t.test('the committed tcp run: the payload of packet #2 is magenta and inverted, masked fields xx', async (t) => {
  const saved = process.env.NO_COLOR;
  delete process.env.NO_COLOR;
  t.teardown(() => void (saved === undefined ? delete process.env.NO_COLOR : (process.env.NO_COLOR = saved)));
  const text = colouredDumps(tcp, painter({ isTTY: true } as NodeJS.WriteStream));
  const data = tcp.kernel_view.packets.findIndex((p) => p.payload_length > 0);
  const read = tcp.user_view.reads[0];
  t.equal(read.found_in?.packet, data, 'the read is found in the data segment');
  const block = text.split('\n\n').find((b) => b.startsWith(`packet #${data}:`))!;
  t.match(block, `read #0 inverted`);
  // "0123456789\n": 0x30 is '0', inverted (7) around magenta (35).
  t.match(block, /\u001b\[7m\u001b\[35m30\u001b\[39m\u001b\[27m/, 'the first payload byte: magenta, inverted');
  t.match(block, /\u001b\[2mxx\u001b\[22m/, 'a masked byte: dim xx');
  t.match(block, /\u001b\[33m[0-9a-f]{2}\u001b\[39m/, 'TCP header bytes: yellow');
  const inverted = (block.match(/\u001b\[7m/g) ?? []).length;
  t.equal(inverted, read.length, 'exactly the bytes the server read are inverted');
  t.match(text.split('\n')[0], /layers: .*TCP.*payload/);
});
