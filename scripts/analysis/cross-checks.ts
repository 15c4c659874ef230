// Cross-checks an experiment declares (spec.checks) against independent evidence: bpftool's dump of a
// pinned map, the interface's own packet counters, what an unfiltered socket beside the filtered one saw. A check that fails makes the run fail.
import { ACCEPTED_SOURCE, REFUSED_SOURCE, type CrossCheck } from '../../experiments/spec.ts';
import { TCP_EXCHANGE } from '../../experiments/traffic.ts';
import { decode } from './decode.ts';
import type { Analysis, Check } from './types.ts';
import type { RunStatus } from '../vocabulary/run-status.ts';
import { EXIT } from '../vocabulary/exit-codes.ts';

type Input = Pick<Analysis, 'observations' | 'entries'>;

const key = (e: { key: string; value: number }) => `${e.key}=${e.value}`;

const CHECKS: Record<CrossCheck, (a: Input) => Check> = {
  'pinned-map': ({ observations: o }) => {
    const fromServer = o.entries.filter((e) => e.map === 'counts').map(key).sort();
    const fromBpftool = o.pinned.filter((e) => e.map === 'counts').map(key).sort();
    const same = fromBpftool.join() === fromServer.join();
    return {
      description: 'the pinned map, dumped with `bpftool map dump pinned`, holds what the program\'s user read',
      expected: `${fromServer.length} entries`,
      observed: `${fromBpftool.length} entries, ${same ? 'identical' : 'different'}`,
      ok: same,
    };
  },
  'interface-counters': ({ observations: o, entries }) => {
    const counted = entries.reduce((sum, e) => sum + (e.map === 'counts' ? e.packets : 0), 0);
    if (!o.interface) return { description: 'packets counted = packets the interface received + sent', expected: 'interface counters', observed: 'none read', ok: false };
    // A packet socket sees every frame twice on loopback (outgoing, then received): rx + tx.
    const wire = o.interface.rxPackets + o.interface.txPackets;
    return {
      description: `packets counted = packets ${o.interface.name} received + sent`,
      expected: `${wire} (${o.interface.rxPackets} + ${o.interface.txPackets})`,
      observed: String(counted),
      ok: counted === wire,
    };
  },
  'kept-one-source': ({ observations: o }) => {
    // The SYNs the unfiltered raw socket saw arrive (each read an IPv4 packet), by source address.
    const synFrom = o.observerReads.flatMap(({ bytes }) => {
      const d = decode(bytes, { transport: 'tcp' });
      return d.tcpFlags?.includes('SYN') && !d.tcpFlags.includes('ACK') && d.src ? [d.src] : [];
    });
    const read = o.reads.map((r) => Buffer.from(r.bytes).toString('latin1')).join('');
    const sent = TCP_EXCHANGE.input;
    const ok = synFrom.includes(ACCEPTED_SOURCE) && synFrom.includes(REFUSED_SOURCE) && read === sent;
    return {
      description: `the server read only what ${ACCEPTED_SOURCE} sent, though a SYN from ${REFUSED_SOURCE} arrived too (the unfiltered raw socket saw it)`,
      expected: `SYNs from ${ACCEPTED_SOURCE} and ${REFUSED_SOURCE}; reads ${JSON.stringify(sent)}`,
      observed: `SYNs from ${[...new Set(synFrom)].join(' and ') || 'nobody'}; reads ${JSON.stringify(read)}`,
      ok,
    };
  },
};

/** The experiment's own checks, in the order it declares them; none for a run that observed nothing. */
export function runChecks(a: Input & Pick<Analysis, 'spec'>, ran: boolean): Check[] {
  return ran ? (a.spec.checks ?? []).map((name) => CHECKS[name](a)) : [];
}

/** A failed check fails the run: its status says which. */
export function failedCheck(checks: Check[]): RunStatus | null {
  const failed = checks.find((c) => !c.ok);
  return failed
    ? { kind: 'failed', reason: `cross-check failed: ${failed.description}: expected ${failed.expected}, observed ${failed.observed}`, exit_code: EXIT.runFailed }
    : null;
}
