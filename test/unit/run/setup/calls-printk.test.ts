// Whether an object's code calls bpf_trace_printk decides whether its load changes the system's tracing
// state (the guard then waits for the kernel's write). The oracle is llvm-objdump's disassembly.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bpfObjectPath, buildBpf } from '../../../../scripts/run/setup/build-bpf.ts';
import { callsPrintk } from '../../../../scripts/run/setup/calls-printk.ts';
import { tempDir } from '../../../helpers.ts';

t.test('each object of bpf/: the answer llvm-objdump gives', async (t) => {
  await buildBpf();
  const names = readdirSync('bpf').filter((f) => f.endsWith('.bpf.c')).map((f) => f.replace(/\.bpf\.c$/, ''));
  const seen = new Set<boolean>();
  for (const name of names) {
    const text = execFileSync('llvm-objdump', ['-d', bpfObjectPath(name)], { encoding: 'utf8' });
    // Helper 6 (bpf_trace_printk) or 177 (bpf_trace_vprintk); llvm-objdump prints decimal or hex by version.
    const expected = /\bcall (6|177|0x6|0xb1)$/m.test(text);
    seen.add(expected);
    t.equal(callsPrintk(bpfObjectPath(name)), expected, `${name}: ${expected ? 'calls' : 'does not call'} it`);
  }
  t.same([...seen].sort(), [false, true], 'both answers occur among the objects (the test can tell them apart)');
});

t.test('not an ELF object: no', async (t) => {
  const file = join(tempDir('printk'), 'not-elf.o');
  writeFileSync(file, 'call 6');
  t.equal(callsPrintk(file), false);
});
