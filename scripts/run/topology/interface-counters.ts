// The server interface's own packet counters: in the harness's namespaces they count exactly the
// experiment's traffic, which makes them evidence a program's counts can be checked against.
import { execa } from 'execa';
import type { Observations } from '../../vocabulary/observations.ts';
import type { Topology } from './topology.ts';

export async function interfaceCounters(t: Topology): Promise<NonNullable<Observations['interface']>> {
  const { stdout } = await execa('ip', ['-n', t.server.name, '-s', '-j', 'link', 'show', 'dev', t.serverIfname]);
  const [link] = JSON.parse(stdout) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[];
  return { name: t.serverIfname, rxPackets: link.stats64.rx.packets, txPackets: link.stats64.tx.packets };
}
