// What observation costs per packet: each program in bpf/ run with BPF_PROG_TEST_RUN on a 64-byte and a
// 1500-byte IPv4/TCP packet, against bpf/baseline.bpf.c (returns skb->len and nothing else).
import { BpfObject, PerfBuffer, mapUpdate, testRun } from '../../servers/load-attach/libbpf.ts';
import { encodeConfig } from '../../servers/load-attach/capture-program.ts';
import { bpfObjectPath } from '../run/setup/build-bpf.ts';

export interface ProgCost {
  program: string;
  what: string;
  bytes: number;
  repeat: number;
  nsPerRun: number;
}

/** An Ethernet + IPv4 + TCP frame of `size` bytes (test runs of skb programs start at the MAC header). */
function frame(size: number): Buffer {
  const f = Buffer.alloc(size);
  f.writeUInt16BE(0x0800, 12); // ethertype IPv4
  f[14] = 0x45;
  f.writeUInt16BE(size - 14, 16);
  f[23] = 6; // TCP
  f.writeUInt32BE(0x7f000001, 26);
  f.writeUInt32BE(0x7f000001, 30);
  f.writeUInt16BE(16962, 36);
  f[46] = 0x50; // data offset 5
  return f;
}

/** A perf buffer's pages per CPU for the perf rows: a test run sends every sample to its one CPU, and 4 MiB
 *  hold the 3,000 samples of a full capture (about 1,070 B each) without a drop. */
const PERF_PAGES = 1024;

/** The program, the channel its config names (dump only), and what the row shows. */
const CASES: { object: string; program: string; channel?: 'none' | 'ringbuf' | 'perf'; what: string; repeat: number }[] = [
  { object: 'baseline', program: 'baseline', what: 'returns skb->len only', repeat: 1_000_000 },
  { object: 'dump', program: 'dump', channel: 'none', what: 'dump, no channel (config and counters only)', repeat: 1_000_000 },
  // The ring buffer holds about 4,000 records: more repeats would measure the "full" path instead.
  { object: 'dump', program: 'dump', channel: 'ringbuf', what: 'dump to the ring buffer (ring never full)', repeat: 3_000 },
  // The head from the stack, the packet's bytes appended by bpf_perf_event_output()'s flags.
  { object: 'dump', program: 'dump', channel: 'perf', what: 'dump to the perf buffer, bytes appended by the helper (buffer never full)', repeat: 3_000 },
  { object: 'counter', program: 'count', what: 'counter (hash map update)', repeat: 1_000_000 },
];

export function progCosts(): ProgCost[] {
  const results: ProgCost[] = [];
  for (const c of CASES) {
    for (const bytes of [64, 1500]) {
      const obj = BpfObject.load(bpfObjectPath(c.object), c.program);
      // Without its perf events in the map the helper fails at once (-ENOENT): the row would time that.
      const perf = c.channel === 'perf' ? new PerfBuffer(obj.mapFd('perf_records'), null, PERF_PAGES) : null;
      try {
        if (c.channel) mapUpdate(obj.mapFd('config'), Buffer.alloc(4), encodeConfig({ tag: 1, channel: c.channel }));
        const { durationNs } = testRun(obj.programFd(c.program), frame(bytes), c.repeat);
        perf?.consume();
        if (perf && (perf.received !== c.repeat || perf.lost > 0)) {
          throw new Error(`${c.what}, ${bytes} B: ${perf.received} of ${c.repeat} samples arrived, ${perf.lost} lost: the row would not time a delivered sample`);
        }
        results.push({ program: `${c.object}.bpf.c:${c.program}`, what: c.what, bytes, repeat: c.repeat, nsPerRun: durationNs });
      } finally {
        perf?.free();
        obj.close();
      }
    }
  }
  return results;
}
