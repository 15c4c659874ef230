// The one-line verdict per experiment that ends a run or an import.
import { join } from 'node:path';
import { paintStatus, type Paint } from '../report/terminal.ts';
import { displayPath } from './usage.ts';
import type { Outcome } from '../pipeline.ts';

/** One line per experiment; `flat` when results sit directly in `dir` (import) rather than in dir/<name>. */
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
      const facts = `${s.kernel_view.packets.length} packet(s) from ${first}, ${s.user_view.reads.length} read(s)`.padEnd(36);
      const why = s.original.differences.map((d) => d.kind).join(', ');
      const verdict = s.original.status === 'no-counterpart' ? s.overview.status : s.original.status;
      return `${name}  ${paintStatus(paint, s, verdict.padEnd(10))}  ${facts}${why ? ` — ${why}` : ''}  (${displayPath(join(dir, flat ? '' : s.experiment, 'report.md'))})`;
    })
    .join('\n');
}

