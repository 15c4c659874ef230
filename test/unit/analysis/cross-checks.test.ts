// Cross-checks belong to their experiment (never triggered by a map's name), and a failed one fails the run.
import t from 'tap';
import { analyze } from '../../../scripts/analysis/analyze.ts';
import { failedCheck } from '../../../scripts/analysis/cross-checks.ts';
import { EXIT } from '../../../scripts/vocabulary/exit-codes.ts';
import counter from '../../../experiments/counter.ts';
import packet from '../../../experiments/packet.ts';
import type { Observations } from '../../../scripts/vocabulary/observations.ts';

// count_key { ifindex 1, protocol 6 } = 4 packets, as the server and bpftool read it.
const entry = { map: 'counts', key: '0100000006000000', value: 4 };
const observed = (over: Partial<Observations>): Observations => ({
  experiment: 'counter',
  kernel: 'test',
  channel: 'ringbuf',
  topology: 'loopback',
  serverAddress: '127.0.0.1',
  packets: [],
  reads: [],
  observerReads: [],
  entries: [entry],
  pinned: [entry],
  interface: { name: 'lo', rxPackets: 2, txPackets: 2 },
  lost: 0,
  ...over,
});

t.test('the counter declares its checks, and they hold on consistent evidence', async (t) => {
  const a = analyze(counter, observed({}));
  t.same(a.checks.map((c) => c.ok), [true, true]);
  t.equal(failedCheck(a.checks), null);
});

t.test('a check that fails fails the run, saying which', async (t) => {
  const a = analyze(counter, observed({ interface: { name: 'lo', rxPackets: 3, txPackets: 2 } }));
  t.same(failedCheck(a.checks), {
    kind: 'failed',
    reason: 'cross-check failed: packets counted = packets lo received + sent: expected 5 (3 + 2), observed 4',
    exit_code: EXIT.runFailed,
  });
  const differentPin = analyze(counter, observed({ pinned: [{ ...entry, value: 5 }] }));
  t.match(failedCheck(differentPin.checks), { kind: 'failed', reason: /bpftool map dump pinned.*observed 1 entries, different/ });
});

t.test('no checks where the experiment declares none, whatever its maps are called', async (t) => {
  t.same(analyze(packet, observed({})).checks, [], 'a counts map alone triggers nothing');
  t.same(analyze(counter, observed({}), { ran: false }).checks, [], 'a run that observed nothing checks nothing');
});
