// A TCP socket filter's view starts at the TCP header, but the IP header is within reach: bpf/counter.bpf.c,
// attached to the study's TCP socket, reads each segment's IP protocol through
// bpf_skb_load_bytes_relative(..., BPF_HDR_START_NET) and counts TCP (6) for every segment of the exchange.
import t from 'tap';
import { NEEDS_ROOT } from '../helpers.ts';
import { capture } from '../../scripts/run/run-experiment.ts';
import { cleanupAll } from '../../scripts/support/cleanup.ts';
import { buildBpf } from '../../scripts/run/setup/build-bpf.ts';
import { defineExperiment } from '../../experiments/spec.ts';
import tcp from '../../experiments/tcp.ts';
import { decodeCountKey } from '../../scripts/vocabulary/record-layout.ts';

t.test('a TCP socket filter reads protocol 6 through BPF_HDR_START_NET', { skip: NEEDS_ROOT }, async (t) => {
  t.teardown(cleanupAll);
  await buildBpf();
  const spec = defineExperiment({
    ...tcp,
    name: 'net-header-reach',
    filter: { object: 'counter', program: 'count', pins: ['counts'] },
    study: undefined,
    doneWhen: { reads: 1 },
  });
  const { observations } = await capture(spec, { channel: 'ringbuf', topology: 'loopback', progress: () => {} });
  const counts = observations.entries.map((e) => ({ ...decodeCountKey(Buffer.from(e.key, 'hex')), value: e.value }));
  const tcpCounts = counts.filter((c) => c.protocol === 6);
  t.same(counts.map((c) => c.protocol), [6], 'one counter, for IP protocol 6 (read from the IP header)');
  t.ok((tcpCounts[0]?.value ?? 0) >= 3, `the filter counted the connection's segments as TCP (${tcpCounts[0]?.value})`);
  t.same(observations.packets, [], 'and recorded no bytes: its own view never held the IP header');
});
