// Reading a results folder back: the summary.json files every overview page is built from.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from './summary-json.ts';

/** Reads <resultsDir>/<name>/summary.json for each name that has one, in catalogue order. */
export function readSummaries(resultsDir: string, names: readonly string[]): Summary[] {
  return names
    .map((name) => join(resultsDir, name, 'summary.json'))
    .filter((path) => existsSync(path))
    .map((path) => JSON.parse(readFileSync(path, 'utf8')) as Summary);
}
