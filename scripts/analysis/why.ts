// The report's "Why": the experiment's explanation as far as this run shows it. A claim whose evidence the
// run lacks is left out, and a shown claim that accounts for a difference from the 2017 study says so there.
import type { Claim, ExperimentSpec, Seen } from '../../experiments/spec.ts';
import type { StudyVerdict } from './types.ts';

export function shownClaims(spec: ExperimentSpec, seen: Seen): Claim[] {
  const claims = typeof spec.explanation === 'string' ? [{ text: spec.explanation }] : spec.explanation;
  return claims.filter((c) => !c.shownBy || c.shownBy(seen));
}

/** The study's differences, each one a shown claim accounts for given that claim as its reason. */
export function explainDifferences(study: StudyVerdict, shown: Claim[]): StudyVerdict {
  return {
    ...study,
    differences: study.differences.map((d) => {
      const claim = d.explanation === null ? shown.find((c) => c.explains?.includes(d.kind)) : undefined;
      return claim ? { ...d, explanation: claim.text } : d;
    }),
  };
}
