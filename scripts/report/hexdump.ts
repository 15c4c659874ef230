// xxd-style dump with masked bytes shown as `xx`, so a dump reads the same on every run.

import { hexy } from 'hexy';
import type { MaskedRange } from '../analysis/mask.ts';

const WIDTH = 16;
const HEX_COLUMN = 10; // after "00000000: "
const ASCII_COLUMN = HEX_COLUMN + 3 * WIDTH + 3; // hexy pads the hex column to a fixed width

export function hexdump(bytes: Uint8Array, masked: MaskedRange[]): string {
  const hidden = new Uint8Array(bytes.length);
  for (const r of masked) hidden.fill(1, r.offset, r.offset + r.length);
  // hexy UTF-8-decodes a plain Uint8Array (corrupting bytes >= 0x80); a Buffer over the same memory is read as is.
  const dump = hexy(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    bytesPerLine: WIDTH,
    bytesPerGroup: 1,
    caps: 'lower',
    showAddress: true,
  });
  const lines = dump.split('\n').slice(0, -1); // every line, the last included, ends in '\n'
  return lines
    .map((line, row) => {
      const chars = line.split('');
      for (let i = 0; i < WIDTH && row * WIDTH + i < bytes.length; i++) {
        if (hidden[row * WIDTH + i]) {
          chars[HEX_COLUMN + 3 * i] = chars[HEX_COLUMN + 3 * i + 1] = 'x';
          chars[ASCII_COLUMN + i] = '.';
        }
        if (chars[ASCII_COLUMN + i] === '\x7f') chars[ASCII_COLUMN + i] = '.'; // hexy lets DEL through
      }
      return chars.join('');
    })
    .join('\n');
}
