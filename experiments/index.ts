// The catalogue: every experiment by name, in the order `all` runs them.
import cbpfTcp from './cbpf-tcp.ts';
import counter from './counter.ts';
import { HOOK_EXPERIMENTS } from './xdp-tc-cgroup.ts';
import kprobeTcp from './kprobe-tcp.ts';
import packetDgram from './packet-dgram.ts';
import packet from './packet.ts';
import raw from './raw.ts';
import raw6 from './raw6.ts';
import { REACH_EXPERIMENTS } from './reach.ts';
import { RETURN_VALUE_EXPERIMENTS } from './return-values.ts';
import tcp from './tcp.ts';
import tcp6 from './tcp6.ts';
import udp from './udp.ts';
import udp6 from './udp6.ts';
import { variantName, type ExperimentSpec } from './spec.ts';

export const EXPERIMENTS: readonly ExperimentSpec[] = [
  raw,
  tcp,
  udp,
  raw6,
  tcp6,
  udp6,
  packet,
  packetDgram,
  ...RETURN_VALUE_EXPERIMENTS,
  ...HOOK_EXPERIMENTS,
  counter,
  kprobeTcp,
  ...REACH_EXPERIMENTS,
  cbpfTcp,
];

export function findExperiment(name: string): ExperimentSpec | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}

/** Every result folder name a results folder may hold, in the order overviews list them: each experiment,
 *  then its runs on the other topology (--topology), which socket experiments have. */
export const RESULT_NAMES: readonly string[] = EXPERIMENTS.flatMap((e) =>
  e.hook === 'socket' && !e.topologyFixed ? [e.name, variantName(e.name, e.topology === 'loopback' ? 'veth' : 'loopback')] : [e.name],
);
