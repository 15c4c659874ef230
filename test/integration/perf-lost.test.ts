// The perf channel's lost samples, made on purpose: a one-page perf buffer per CPU and BPF_PROG_TEST_RUN
// sending more 1,500-byte packets than fit. The program counts each failed output, the kernel reports the
// same drops to the reader (libbpf's lost callback), and between them every sample is accounted for.
import t from 'tap';
import koffi from 'koffi';
import { NEEDS_ROOT } from '../helpers.ts';
import { buildBpf, bpfObjectPath } from '../../scripts/run/setup/build-bpf.ts';
import { BpfObject, PerfBuffer, mapLookup, mapUpdate, testRun } from '../../servers/load-attach/libbpf.ts';
import { encodeConfig } from '../../servers/load-attach/capture-program.ts';
import { DUMP_COUNTER_LOST } from '../../scripts/vocabulary/record-layout.ts';

const RUNS = 100;

/** Keeps this thread on CPU 0: a test run writes to the buffer of the CPU it runs on, and the kernel reports a
 *  CPU's drops only in that CPU's buffer. */
function stayOnCpu0(): void {
  const setaffinity = koffi.load('libc.so.6').func('int sched_setaffinity(int pid, size_t size, void *mask)');
  const mask = Buffer.alloc(128);
  mask[0] = 1;
  if ((setaffinity(0, mask.length, mask) as number) !== 0) throw new Error(`sched_setaffinity: errno ${koffi.errno()}`);
}

/** An Ethernet + IPv4 frame of `size` bytes (a socket filter's test run starts at the MAC header). */
function frame(size: number): Buffer {
  const f = Buffer.alloc(size);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  return f;
}

t.test('a full perf buffer: the program and the kernel count the same lost samples', { skip: NEEDS_ROOT }, async (t) => {
  await buildBpf();
  stayOnCpu0();
  const obj = BpfObject.load(bpfObjectPath('dump'), 'dump', { channel: 'perf' });
  // One page per CPU: about three samples of a full 1,024-byte capture.
  const perf = new PerfBuffer(obj.mapFd('perf_records'), null, 1);
  t.teardown(() => {
    perf.free();
    obj.close();
  });
  mapUpdate(obj.mapFd('config'), Buffer.alloc(4), encodeConfig({ tag: 1, channel: 'perf' }));
  const counted = () => Number(mapLookup(obj.mapFd('counters'), Buffer.from([DUMP_COUNTER_LOST, 0, 0, 0]), 8).readBigUInt64LE());
  const progFd = obj.programFd('dump');

  testRun(progFd, frame(1500), RUNS);
  perf.consume();
  const lost = counted();
  t.ok(perf.received > 0 && lost > 0, `some samples arrived (${perf.received}), some were lost (${lost})`);
  t.equal(perf.received + lost, RUNS, 'every sample read or counted as lost by the program');
  t.ok(perf.lost <= lost, 'the kernel has reported no more than the program counted');

  // The kernel writes its lost count before the next sample that fits: one more, now that the buffer is empty.
  testRun(progFd, frame(1500), 1);
  perf.consume();
  t.equal(perf.lost, lost, "the kernel's lost record carries the program's count");
  t.equal(perf.received + lost, RUNS + 1, 'and the one more sample arrived');
});
