// Cross-checks a run can make against independent evidence (bpftool, the interface's own counters).
import type { Analysis } from './analyze.ts';

export interface Check {
  description: string;
  expected: string;
  observed: string;
  ok: boolean;
}

const key = (e: { key: string; value: number }) => `${e.key}=${e.value}`;

export function runChecks(a: Analysis): Check[] {
  const { observations: o } = a;
  const counts = a.entries.filter((e) => e.map === 'counts');
  if (counts.length === 0 && o.pinned.length === 0) return [];
  const fromServer = o.entries.filter((e) => e.map === 'counts').map(key).sort();
  const fromBpftool = o.pinned.filter((e) => e.map === 'counts').map(key).sort();
  const checks: Check[] = [
    {
      description: 'the pinned map, dumped with `bpftool map dump pinned`, holds what the program\'s user read',
      expected: `${fromServer.length} entries`,
      observed: `${fromBpftool.length} entries, ${fromBpftool.join() === fromServer.join() ? 'identical' : 'different'}`,
      ok: fromBpftool.join() === fromServer.join(),
    },
  ];
  if (o.interface) {
    // A packet socket sees every frame twice on loopback (outgoing, then received): rx + tx.
    const wire = o.interface.rxPackets + o.interface.txPackets;
    const counted = counts.reduce((sum, e) => sum + e.packets, 0);
    checks.push({
      description: `packets counted = packets ${o.interface.name} received + sent`,
      expected: `${wire} (${o.interface.rxPackets} + ${o.interface.txPackets})`,
      observed: String(counted),
      ok: counted === wire,
    });
  }
  return checks;
}
