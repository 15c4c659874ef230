// The packets a server relayed, in the order the program sent them: ring-buffer records as they came, perf
// samples (delivered CPU by CPU) by the send time each carries.
import t from 'tap';
import { relayedPackets } from '../../../../scripts/run/capture/records.ts';
import type { ServerMessage } from '../../../../scripts/run/server/ipc.ts';

const packet = (seq: number, time?: string): ServerMessage => ({
  type: 'packet',
  seq,
  length: 1,
  hex: 'aa',
  pktType: 0,
  protocol: 0x0800,
  ifindex: 1,
  ...(time === undefined ? {} : { time }),
});

t.test('ring-buffer records keep the order they came in', async (t) => {
  t.strictSame(relayedPackets([packet(0x1001), { type: 'eof' }, packet(0x0001)]).map((p) => p.seq), [0x1001, 0x0001]);
});

t.test('perf samples are ordered by their time, nanoseconds past 2^53 included, ties as they came', async (t) => {
  // CPU 0's buffer is read first, but CPU 1 sent its sample in between; times beyond a double's precision.
  const cpu0 = [packet(0x0000, '9007199254740993'), packet(0x0001, '9007199254740995')];
  const cpu1 = [packet(0x1000, '9007199254740994'), packet(0x1001, '9007199254740995')];
  t.strictSame(relayedPackets([...cpu0, ...cpu1]).map((p) => p.seq), [0x0000, 0x1000, 0x0001, 0x1001]);
});
