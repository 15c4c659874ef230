// The classic BPF file format (tcpdump's -dd) as the server reads it into struct sock_filter[].
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseClassic } from '../../../servers/load-attach/classic-filter.ts';
import { classicFilterPath } from '../../../scripts/run/setup/build-bpf.ts';

const SKF_NET_OFF = -0x100000;

t.test("cbpf-tcp's filter: four instructions, the first a load from the network header", async (t) => {
  const path = classicFilterPath('source-127-0-0-1');
  const insns = parseClassic(readFileSync(path, 'utf8'), path);
  t.equal(insns.length, 4 * 8, 'struct sock_filter is 8 bytes: 4 instructions');
  const at = (i: number) => ({ code: insns.readUInt16LE(i * 8), jt: insns[i * 8 + 2], jf: insns[i * 8 + 3], k: insns.readUInt32LE(i * 8 + 4) });
  // BPF_LD | BPF_W | BPF_ABS at SKF_NET_OFF + 12: the IPv4 source address.
  t.same(at(0), { code: 0x20, jt: 0, jf: 0, k: (SKF_NET_OFF + 12) >>> 0 });
  t.same(at(1), { code: 0x15, jt: 0, jf: 1, k: 0x7f000001 }, 'jeq 127.0.0.1, else skip the accept');
  t.same([at(2).code, at(3).code, at(3).k], [0x06, 0x06, 0], 'ret accept, ret 0');
});

t.test('a line that is not an instruction is refused with its line number', async (t) => {
  t.throws(() => parseClassic('# comment\n{ 0x20, 0, 0, 12 },\nld [12]\n', 'f.cbpf'), /f\.cbpf:3: not a \{ code, jt, jf, k \} instruction/);
  t.throws(() => parseClassic('{ 0x20, 0, 256, 12 }\n', 'f.cbpf'), /f\.cbpf:1: a field is out of range/);
  t.throws(() => parseClassic('# nothing\n', 'f.cbpf'), /f\.cbpf: no instructions/);
});
