// The one-line verdict per experiment that ends a run or an import.
import { join } from 'node:path';
import { paintStatus, type Paint } from '../report/terminal.ts';
import { displayPath } from '../support/paths.ts';
import type { Outcome } from '../pipeline.ts';

/** The study's verdict as the terminal says it: against what. */
const STUDY_WORDS = { reproduced: 'as in 2017', differs: 'differs from 2017' } as const;

/** Two lines per experiment: its verdict and facts, then its report's path on a line of its own (a path is
 *  never broken by a terminal's wrapping in the middle of a line); `flat` when results sit directly in
 *  `dir` (import) rather than in dir/<name>. */
export function verdicts(outcomes: Outcome[], dir: string, paint: Paint, flat = false): string {
  const width = Math.max(...outcomes.map((o) => o.spec.name.length));
  return outcomes
    .map((o) => {
      const name = o.spec.name.padEnd(width);
      const s = o.summary;
      if (s.status.kind === 'unsupported') return `${name}  ${paintStatus(paint, s, s.overview.status)}`;
      if (s.status.kind === 'failed' && !o.summary.kernel_view.packets.length) {
        return `${name}  ${paintStatus(paint, s, 'failed'.padEnd(10))}  ${s.status.reason}`;
      }
      const first = [...new Set(s.kernel_view.packets.map((p) => p.starts_with))].join('/') || 'nothing';
      const seen = s.program.no_bytes ? 'no bytes recorded' : `${s.kernel_view.packets.length} packet(s) from ${first}`;
      const facts = `${seen}, ${s.user_view.reads.length} read(s)`;
      const why = s.original.differences.map((d) => d.kind).join(', ');
      const original = s.original.status;
      const verdict = original === 'reproduced' || original === 'differs' ? STUDY_WORDS[original] : s.overview.status;
      return (
        `${name}  ${paintStatus(paint, s, verdict.padEnd(17))}  ${facts}${why ? ` — ${why}` : ''}\n` +
        `${''.padEnd(width)}  ${displayPath(join(dir, flat ? '' : s.experiment, 'report.md'))}`
      );
    })
    .join('\n');
}

