// The fidelity benchmark's accounting on a small flood: every datagram sent is seen by the program and by
// tcpdump, and the harness accounts for each record it did not read (seen = read + lost), through the ring
// buffer and through the perf buffer.
import t from 'tap';
import { existsSync } from 'node:fs';
import { NEEDS_ROOT } from '../helpers.ts';
import { buildBpf } from '../../scripts/run/setup/build-bpf.ts';
import { fidelity } from '../../scripts/bench/fidelity.ts';

const NO_TCPDUMP = existsSync('/usr/bin/tcpdump') ? false : 'tcpdump not installed — run as root: bash scripts/bootstrap.sh test';

t.test('a 3,000-datagram flood through the veth pair', { skip: NEEDS_ROOT || NO_TCPDUMP }, async (t) => {
  await buildBpf();
  const [f] = await fidelity([{ datagrams: 3000, payloadBytes: 64 }]);
  t.equal(f.sent, 3000, 'the sender sent all');
  t.equal(f.arrived, 3000, 'all arrived at srv0');
  t.equal(f.programSaw, 3000, 'the program ran on each (nothing else crosses the pair)');
  t.equal(f.harnessRead + f.harnessLost, f.programSaw, 'every record read or counted as lost');
  t.equal(f.harnessLost, 0, '3,000 records of 1,056 B fit the 4 MiB ring even unread');
  t.equal(f.tcpdumpCaptured + f.tcpdumpDropped, 3000, 'tcpdump accounts for all');
});

t.test('floods through the perf buffer: every sample read or counted as lost', { skip: NEEDS_ROOT || NO_TCPDUMP }, async (t) => {
  await buildBpf();
  // 3,000 fit a CPU's 1 MiB even unread; 300,000 may not (a drop is the program's -ENOSPC and the kernel's lost record).
  const [small, large] = await fidelity([{ datagrams: 3000, payloadBytes: 64 }, { datagrams: 300_000, payloadBytes: 64 }], 'perf');
  t.equal(small.programSaw, 3000, 'the program ran on each');
  t.equal(small.harnessRead, 3000, 'every sample read');
  t.equal(small.harnessLost, 0, 'none lost');
  t.equal(large.programSaw, large.arrived, 'the program ran on each datagram that arrived');
  t.equal(large.harnessRead + large.harnessLost, large.programSaw, `every sample read or counted as lost (${large.harnessLost} lost)`);
});
