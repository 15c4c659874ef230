// results/kernels/README.md's section on the one difference: computed from a control kernel's and a
// kernel-without-the-commit's summaries, never written by hand (the summaries here are the committed tcp
// result, relabelled as each kernel's).
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers.ts';
import { RESULTS_DIR } from '../../../scripts/support/paths.ts';
import { writeKernelTable } from '../../../scripts/report/kernel-matrix.ts';
import type { Summary } from '../../../scripts/report/summary-json.ts';

const tcp = JSON.parse(readFileSync(join(RESULTS_DIR, 'tcp', 'summary.json'), 'utf8')) as Summary;
const CONTROL = '6.1.187-edl-control';
const PATCHED = '6.1.187-edl-without-8fac365f63c8';

function table(patched: Summary): string {
  const root = tempDir('kernel-matrix');
  const write = (release: string, s: Summary) => {
    mkdirSync(join(root, 'kernels', release, 'tcp'), { recursive: true });
    writeFileSync(join(root, 'kernels', release, 'tcp', 'summary.json'), JSON.stringify({ ...s, kernel: release }));
  };
  mkdirSync(join(root, 'host'));
  write(CONTROL, tcp);
  write(PATCHED, patched);
  writeKernelTable(join(root, 'host'), join(root, 'kernels'));
  return readFileSync(join(root, 'kernels', 'README.md'), 'utf8');
}

t.test('the kernel without the commit reproduces the study: the difference is that commit alone', async (t) => {
  t.equal(tcp.original.status, 'differs', 'the committed tcp result differs from 2017');
  const three = { ...tcp, kernel_view: { ...tcp.kernel_view, packets: tcp.kernel_view.packets.filter((p) => p.tcp_flags?.join('|') !== 'ACK') } };
  const text = table({ ...three, original: { status: 'reproduced', differences: [] } });
  t.match(text, '## The one difference, tested on kernels built without its commit');
  t.match(text, `\`${PATCHED}\`, the same source without 8fac365f63c8, reproduces the 2017 study (reproduced; 3 from tcp: SYN, PSH|ACK, FIN|ACK)`);
  t.match(text, 'reproduced on the same kernel without 8fac365f63c8, so the difference is that commit alone');
});

t.test('a kernel without the commit that still differs says the commit does not account for it', async (t) => {
  t.match(table(tcp), 'still differs (differs; 4 from tcp: SYN, ACK, PSH|ACK, FIN|ACK): 8fac365f63c8 does not account for it alone');
});
