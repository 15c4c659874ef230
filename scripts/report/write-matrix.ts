// The results folder's front pages, built only from its summary.json files: README.md (markdown) and
// index.html (the same matrix, linking to each experiment's page).
import { join } from 'node:path';
import { indexPage } from './html/index-page.ts';
import { readSummaries, renderOverview } from './matrix.ts';
import { writeAtomic } from './write-results.ts';

export function writeOverview(resultsDir: string, names: readonly string[]): void {
  const summaries = readSummaries(resultsDir, names);
  writeAtomic(join(resultsDir, 'README.md'), renderOverview(summaries));
  writeAtomic(join(resultsDir, 'index.html'), indexPage(summaries));
}
