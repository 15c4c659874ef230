// Reading a results folder back: the summary.json files every overview page is built from.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, HarnessError } from '../support/errors.ts';
import type { Summary } from './summary-json.ts';

/** Reads <resultsDir>/<name>/summary.json for each name that has one, in catalogue order. A summary
 *  written before runs carried a status cannot be shown truthfully: it is refused, saying what to rerun. */
export function readSummaries(resultsDir: string, names: readonly string[]): Summary[] {
  return names
    .map((name) => join(resultsDir, name, 'summary.json'))
    .filter((path) => existsSync(path))
    .map((path) => {
      const summary = JSON.parse(readFileSync(path, 'utf8')) as Summary;
      if (summary.status === undefined) {
        throw new HarnessError(
          EXIT.runFailed,
          `${path} was written by an older version of the harness (it has no "status"): regenerate it ` +
            `(npm run experiment -- ${summary.experiment}, with --kernel for a kernel's folder) or delete its folder`,
        );
      }
      return summary;
    });
}
