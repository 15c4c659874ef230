// The 2017 study's conclusion against the runs that test it (reach-* and cbpf-tcp), for results/README.md and
// the cross-kernel table: computed from their summary.json files, never written by hand.
import { STUDY_CONCLUSION } from '../analysis/reach.ts';
import type { Summary } from './summary-json.ts';

/** One line per run that tests the conclusion: what it read outside its view, or what its check showed. */
function evidence(s: Summary): string | null {
  if (s.status.kind !== 'ok') return null;
  if (s.reach) return s.reach.verdict.text;
  if (s.program.object.endsWith('.cbpf') && s.checks.length) {
    const c = s.checks[0];
    return c.ok ? `Refuted on this kernel by a classic BPF filter: ${c.description} (${c.observed}).` : null;
  }
  return null;
}

/** Refuted where any run read below its view; null where no run tested it. */
export function conclusionOf(summaries: Summary[]): { refuted: boolean; lines: string[] } | null {
  const tested = summaries.flatMap((s) => {
    const text = evidence(s);
    return text ? [{ s, text }] : [];
  });
  if (tested.length === 0) return null;
  return {
    refuted: tested.some(({ text }) => text.startsWith('Refuted')),
    lines: tested.map(({ s, text }) => `- [${s.experiment}](${s.experiment}/report.md): ${text}`),
  };
}

/** results/README.md's section on the conclusion (empty where no run tested it). */
export function renderConclusion(summaries: Summary[]): string[] {
  const c = conclusionOf(summaries);
  if (!c) return [];
  return [
    "## The study's conclusion on this kernel",
    '',
    `The 2017 study concluded that ${STUDY_CONCLUSION}. ` +
      (c.refuted ? 'On this kernel that does not hold:' : 'On this kernel it holds: no run read below its view.'),
    '',
    ...c.lines,
    '',
  ];
}
