// Whether a BPF object's code calls bpf_trace_printk (helper 6) or bpf_trace_vprintk (177, what bpf_printk
// becomes with more than 3 arguments): loading such a program makes the kernel enable the top-level
// bpf_trace_printk event. Read from the ELF's executable sections, so it holds for any object, ours or a
// user's. A call the verifier later prunes as dead still counts: measured, the kernel enables the event for
// the ring-buffer `dump` too.
import { readFileSync } from 'node:fs';

const SHF_EXECINSTR = 0x4n;
const BPF_CALL = 0x85; // BPF_JMP | BPF_CALL
const PRINTK_HELPERS = new Set([6, 177]);

export function callsPrintk(object: string): boolean {
  const elf = readFileSync(object);
  // ELF64, little-endian (what clang -target bpf writes on x86_64): the section header table.
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  for (let s = 0; s < shnum; s++) {
    const header = shoff + s * shentsize;
    if (header + 0x28 > elf.length || (elf.readBigUInt64LE(header + 8) & SHF_EXECINSTR) === 0n) continue;
    const offset = Number(elf.readBigUInt64LE(header + 0x18));
    const end = Math.min(elf.length, offset + Number(elf.readBigUInt64LE(header + 0x20)));
    for (let insn = offset; insn + 8 <= end; insn += 8) {
      // A helper call has source register 0 (1 is a call to a BPF function, 2 a kfunc).
      if (elf[insn] === BPF_CALL && elf[insn + 1] >> 4 === 0 && PRINTK_HELPERS.has(elf.readInt32LE(insn + 4))) return true;
    }
  }
  return false;
}
