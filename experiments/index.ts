// The catalogue: every experiment by name, in the order `all` runs them.
import raw from './raw.ts';
import tcp from './tcp.ts';
import udp from './udp.ts';
import type { ExperimentSpec } from './spec.ts';

export const EXPERIMENTS: readonly ExperimentSpec[] = [raw, tcp, udp];

export function findExperiment(name: string): ExperimentSpec | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}
