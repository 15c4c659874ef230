// The results folder's front pages, built only from its summary.json files: README.md (markdown) and
// index.html (the same matrix, linking to each experiment's page).
import { join } from 'node:path';
import { indexPage } from './html/index-page.ts';
import { renderOverview } from './matrix.ts';
import { readSummaries } from './read-results.ts';
import { writeAtomic } from '../support/atomic-write.ts';

export function writeOverview(resultsDir: string, names: readonly string[]): void {
  const summaries = readSummaries(resultsDir, names);
  writeAtomic(join(resultsDir, 'README.md'), renderOverview(summaries));
  writeAtomic(join(resultsDir, 'index.html'), indexPage(summaries));
}
