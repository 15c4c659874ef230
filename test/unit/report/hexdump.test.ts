import t from 'tap';
import { hexdump } from '../../../scripts/report/hexdump.ts';

const UDP = Uint8Array.from([0x9c, 0x40, 0x42, 0x42, 0x00, 0x13, 0xfe, 0x26, ...Buffer.from('hello world')]);

t.test('masked bytes read xx and .', async (t) => {
  const masked = [
    { offset: 0, length: 2, field: 'udp.src_port' },
    { offset: 6, length: 2, field: 'udp.checksum' },
  ];
  t.equal(
    hexdump(UDP, masked),
    '00000000: xx xx 42 42 00 13 xx xx 68 65 6c 6c 6f 20 77 6f    ..BB....hello wo\n' +
      '00000010: 72 6c 64                                           rld',
  );
});

t.test('unmasked', async (t) => {
  t.equal(hexdump(UDP.subarray(0, 4), []), '00000000: 9c 40 42 42                                        .@BB');
});

t.test('empty input', async (t) => {
  t.equal(hexdump(new Uint8Array(0), []), '');
});

t.test('bytes >= 0x80 and DEL survive a plain Uint8Array view', async (t) => {
  const backing = Uint8Array.from([0xaa, 0xff, 0x80, 0x7f, 0x41]);
  t.equal(hexdump(backing.subarray(1), []), '00000000: ff 80 7f 41                                        ...A');
});

t.test('exactly one line, no trailing newline', async (t) => {
  const out = hexdump(Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i), [{ offset: 15, length: 5, field: 'x.y' }]);
  t.equal(out, '00000000: 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e xx    0123456789:;<=>.');
});
