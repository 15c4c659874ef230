// What an experiment file declares: where the filter sits, what traffic flows, and what 2017 saw.
import type { LayerName, TcpFlag, Transport } from '../scripts/layers.ts';

export interface ExperimentSpec {
  name: string;
  /** The socket, as a heading: "AF_INET SOCK_RAW, IPPROTO_TCP". */
  title: string;
  topology: 'loopback';
  /** servers/<program>.ts opens the socket and attaches the filter. */
  server: { program: 'raw' | 'tcp' | 'udp'; address: string; port: number };
  /** bpf/<object>.bpf.c and the program in it. */
  filter: { object: string; program: string };
  /** The traffic's transport: tells the decoder what a view without an IP header starts with. */
  transport: Transport;
  traffic: Traffic;
  /** What marks the end of the exchange, besides the traffic command exiting. */
  doneWhen: 'traffic-exit' | 'eof' | { reads: number };
  /** Why the kernel behaves like this: printed in the report. */
  explanation: string;
  /** The 2017 study's result, where it has a counterpart. */
  study?: StudyResult;
}

export interface Traffic {
  /** Run inside the experiment's namespace; `input` goes to its stdin. */
  command: string[];
  input: string;
  /** As a shell line, for reports: "echo 0123456789 | ncat 127.0.0.1 16962". */
  display: string;
  /** A connection attempt to a closed port is meant to fail. */
  expectFailure?: boolean;
}

export interface StudyPacket {
  length: number;
  startsWith: LayerName;
  tcpFlags: TcpFlag[] | null;
  payloadLength: number;
}

export interface StudyResult {
  packets: StudyPacket[];
  /** Lengths of the server's reads. */
  reads: number[];
  /** How the reads relate to the kernel view: whole packets, or only the payload. */
  userView: 'whole-packet' | 'payload';
  /** Differences today's kernels are known to show, with the reason. */
  knownDifferences: KnownDifference[];
}

export interface KnownDifference {
  /** A packet the filter sees now that the study did not. */
  extraPacket: { tcpFlags: TcpFlag[] | null; payloadLength: number };
  explanation: string;
}

export function defineExperiment(spec: ExperimentSpec): ExperimentSpec {
  return spec;
}
