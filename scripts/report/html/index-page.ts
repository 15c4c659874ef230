// results/index.html: the overview matrix (the same cells as results/README.md), each row linking to its page.
import { overviewColumns, provenance, rowCells, runColumn } from '../matrix.ts';
import type { Summary } from '../summary-json.ts';
import { htmlDocument } from './document.ts';
import { escapeHtml as esc } from './escape.ts';

/** A class for the status cell, so a verdict reads at a glance (the text says it too). */
function statusClass(s: Summary): string {
  if (s.status.kind === 'unsupported') return 'status-unsupported';
  if (s.status.kind === 'failed') return 'status-failed';
  return s.original.status === 'differs' ? 'status-differs' : 'status-ok';
}

export function indexPage(summaries: Summary[]): string {
  const { kernels, channels, tools } = provenance(summaries);
  const run = runColumn(summaries);
  const row = (s: Summary) => {
    const cells = rowCells(s, run).map(esc);
    const status = cells.pop();
    const link = `<a href="${esc(s.experiment)}/index.html">${esc(s.experiment)}</a>`;
    return `<tr>${[link, ...cells].map((c) => `<td>${c}</td>`).join('')}<td class="${statusClass(s)}">${status}</td></tr>`;
  };
  const differences = summaries.flatMap((s) =>
    s.original.differences.length
      ? [
          `<p><strong>${esc(s.experiment)}</strong> differs from 2017:</p>`,
          `<ul>${s.original.differences.map((d) => `<li>${esc(`${d.description}.${d.explanation ? ` ${d.explanation}` : ''}`)}</li>`).join('')}</ul>`,
        ]
      : [],
  );
  const body = [
    '<header>',
    '<h1>Results: what each hook sees</h1>',
    `<p>Kernel: ${kernels.map((k) => `<code>${esc(k)}</code>`).join(', ')}. Capture channel: ${esc(channels)}.</p>`,
    `<p>Tools: ${esc(tools)}.</p>`,
    '</header>',
    '<main>',
    "<p>One row per experiment; every cell is computed from that run's <code>summary.json</code>. " +
      "Each experiment's page shows the program's packets beside the server's reads, byte by byte.</p>",
    `<table class="matrix"><thead><tr>${overviewColumns(summaries).map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead>`,
    `<tbody>${summaries.map(row).join('\n')}</tbody></table>`,
    ...differences,
    `<p>Masking: ${esc(summaries[0]?.masking ?? '')}</p>`,
    '</main>',
  ];
  return htmlDocument('ebpf-dump-lab results', body.join('\n'));
}
