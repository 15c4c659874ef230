// `npm run import -- <kernelspace-log> <userspace-log> --as <name> --out DIR`: logs made elsewhere, reported.
// A log that is damaged, or that cannot come from the experiment named by --as, is refused (exit 2, with the
// file and line) before anything is written.
import { parseArgs } from 'node:util';
import { EXIT } from '../support/errors.ts';
import { importResults } from '../pipeline.ts';
import { decode } from '../analysis/decode.ts';
import { hookNamed } from '../hooks/index.ts';
import { viewStartLayers } from '../hooks/view-start.ts';
import { layerHeaderText } from '../vocabulary/layers.ts';
import { painter } from '../report/terminal.ts';
import { HELP, help, selectExperiments, usageError, usageOnError } from './usage.ts';
import { verdicts } from './verdicts.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import type { KernelPacket } from '../vocabulary/observations.ts';

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = usageOnError(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { as: { type: 'string' }, out: { type: 'string' }, tag: { type: 'string' }, kernel: { type: 'string' }, help: HELP },
    }),
  );
  if (values.help) return help();
  if (positionals.length !== 2) throw usageError('import takes two files: the kernelspace log and the userspace log');
  if (!values.as) throw usageError('--as is required: which experiment the logs come from');
  if (!values.out) throw usageError('--out is required: the folder to write the report into');
  const [spec] = selectExperiments([values.as]);
  if (spec.checks?.length) {
    // Its result is the cross-checks (a pinned map against bpftool, counts against the interface): evidence
    // a log does not hold, so an import could only report them failed.
    throw usageError(`${spec.name} cannot be imported: its result rests on ${spec.checks.join(' and ')} evidence that only a run collects`);
  }
  const tag = parseTag(values.tag);
  const [kernelLog, userLog] = positionals;
  const summary = await importResults({ spec, kernelLog, userLog, out: values.out, tag, kernel: values.kernel, viewCheck: viewCheck(spec) });
  console.log(verdicts([{ spec, summary }], values.out, painter(), true));
  return EXIT.ok;
}

/** The run tag, as the logs print it: up to four hex digits ("1a2b", or "0x1a2b"); parseInt would take "12zz" for 0x12. */
function parseTag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(?:0x)?[0-9a-f]{1,4}$/i.test(text)) throw usageError(`--tag takes a 16-bit hex number, not "${text}"`);
  return Number.parseInt(text.replace(/^0x/i, ''), 16);
}

/**
 * Refuses packets that cannot be in the experiment's view: a TCP socket's filter never sees a UDP datagram
 * or an IPv4 header. Views that differ only in what the kernel would deliver (tcp and tcp6, raw6 and tcp)
 * are indistinguishable from bytes alone; those imports go ahead and the report shows what the log holds.
 */
function viewCheck(spec: ExperimentSpec): (packet: KernelPacket) => string | null {
  const starts = viewStartLayers(hookNamed(spec.hook), { socket: spec.server.program, family: spec.family, transport: spec.transport });
  return (packet) => {
    if (packet.bytes.length === 0) return null; // nothing captured: nothing to contradict
    const found = decode(packet.bytes, { transport: spec.transport, length: packet.length }).startsWith;
    if (starts.includes(found)) return null;
    const wanted = starts.map((l) => `the ${layerHeaderText[l]}`).join(' or ');
    const got = found === 'payload' ? 'no header the decoder knows' : `the ${layerHeaderText[found]}`;
    return `(${packet.length} B) starts with ${got}, but the program of experiment ${spec.name} (${spec.title}) sees packets from ${wanted} on`;
  };
}
