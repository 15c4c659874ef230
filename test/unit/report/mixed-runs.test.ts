// When a results folder holds runs of more than one kernel or channel, each row of the matrix says which.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { indexPage } from '../../../scripts/report/html/index-page.ts';
import { renderOverview } from '../../../scripts/report/matrix.ts';
import type { Summary } from '../../../scripts/report/summary-json.ts';

const read = (name: string) => JSON.parse(readFileSync(`results/${name}/summary.json`, 'utf8')) as Summary;
const tcp = read('tcp');
const udp = read('udp');

t.test('one kernel and one channel: no per-row column', async (t) => {
  t.notMatch(renderOverview([tcp, udp]), 'kernel, channel');
  t.notMatch(indexPage([tcp, udp]), 'kernel, channel');
});

t.test('mixed channels: each row names its kernel and channel', async (t) => {
  const traced = { ...udp, channel: 'trace_pipe' } as Summary;
  const md = renderOverview([tcp, traced]);
  t.match(md, '| experiment | kernel, channel | hook |');
  t.match(md, `| [tcp](tcp/report.md) | ${tcp.kernel}, ringbuf | socket |`);
  t.match(md, `| [udp](udp/report.md) | ${udp.kernel}, trace_pipe | socket |`);
  const html = indexPage([tcp, traced]);
  t.match(html, '<th scope="col">kernel, channel</th>');
  t.match(html, `<td>${udp.kernel}, trace_pipe</td>`);
});

t.test('mixed kernels: the same', async (t) => {
  const other = { ...udp, kernel: '6.1.0-57-amd64' } as Summary;
  t.match(renderOverview([tcp, other]), `| [udp](udp/report.md) | 6.1.0-57-amd64, ringbuf | socket |`);
});
