// Writes one experiment's result folder from its summary: summary.json, report.md, the two hex dumps, the
// two pcapng files and index.html. Every file but summary.json is rendered from it (and the experiment's text).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../support/atomic-write.ts';
import { renderKernelDump, renderUserDump } from './dumps-txt.ts';
import { experimentPage } from './html/experiment-page.ts';
import { kernelPcapng, pcapngChoice, userPcapng } from './pcapng.ts';
import { renderReport } from './report-md.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import type { Summary } from './summary-json.ts';

/** `indexAbove`: the folder sits in a results folder whose index.html lists it (not so for an import). */
export function writeResults(dir: string, s: Summary, spec: ExperimentSpec, opts: { indexAbove: boolean }): void {
  mkdirSync(dir, { recursive: true });
  const pcapngNote = pcapngChoice(s);
  writeAtomic(join(dir, 'summary.json'), JSON.stringify(s, null, 2) + '\n');
  writeAtomic(join(dir, 'kernelspace.txt'), renderKernelDump(s));
  writeAtomic(join(dir, 'userspace.txt'), renderUserDump(s));
  writeAtomic(join(dir, 'kernelspace.pcapng'), kernelPcapng(s));
  writeAtomic(join(dir, 'userspace.pcapng'), userPcapng(s));
  writeAtomic(join(dir, 'report.md'), renderReport(s, spec, pcapngNote, opts.indexAbove));
  writeAtomic(join(dir, 'index.html'), experimentPage(s, { pcapngNote, indexAbove: opts.indexAbove }));
}
