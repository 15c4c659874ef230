// The HTML pages without a browser: escaping, determinism, and each byte's layer, mask and highlight where summary.json puts them.
import t from 'tap';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/support/paths.ts';
import { decode } from '../../../scripts/analysis/decode.ts';
import { maskReason, maskedRanges } from '../../../scripts/analysis/mask.ts';
import { decodeSummaryPacket, type Summary, type SummaryPacket } from '../../../scripts/report/summary-json.ts';
import { OVERVIEW_COLUMNS, overviewCells } from '../../../scripts/report/matrix.ts';
import { escapeHtml } from '../../../scripts/report/html/escape.ts';
import { experimentPage } from '../../../scripts/report/html/experiment-page.ts';
import { indexPage } from '../../../scripts/report/html/index-page.ts';
import { readSummary } from '../../helpers.ts';
import { statusLine } from '../../../scripts/vocabulary/run-status.ts';
import { UDP, hex, ipv4, known } from '../../fixtures/packets.ts';

const RESULTS = join(ROOT, 'results');
const tcp = readSummary(RESULTS, 'tcp');
const xdp = readSummary(RESULTS, 'xdp');
/** A run whose kernel lacked the hook: nothing observed, the status and the matrix say so. */
const lack = { kind: 'unsupported', reason: 'tcx links are not available', missing: 'BPF_TCX_INGRESS', since: '6.6' } as const;
const unsupported: Summary = {
  ...xdp,
  kernel_view: { ...xdp.kernel_view, packets: [], maps: [] },
  user_view: { reads: [] },
  checks: [],
  status: lack,
  overview: { ...xdp.overview, status: statusLine(lack) },
};
const EXTRA = { indexAbove: true };

interface ByteSpan {
  classes: string[];
  layer: string;
  offset: number;
  fields: string[];
  reads: string[];
  title: string;
  text: string;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The byte spans inside the element with this id, up to the next packet or read block. */
function bytesIn(html: string, id: string): ByteSpan[] {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no element ${id}`);
  const rest = html.slice(start + 1);
  const end = rest.search(/id="(packet|read|observer)-\d+"|class="cell user"/);
  const block = end < 0 ? rest : rest.slice(0, end);
  const span = /<span class="([^"]*)" data-layer="([^"]*)" data-offset="(\d+)"(?: data-field="([^"]*)")?(?: data-read="([^"]*)")? title="([^"]*)">([^<]*)<\/span>/g;
  return [...block.matchAll(span)].map((m) => ({
    classes: m[1].split(' '),
    layer: m[2],
    offset: Number(m[3]),
    fields: m[4] ? unescape(m[4]).split(' ') : [],
    reads: m[5] ? m[5].split(' ') : [],
    title: unescape(m[6]),
    text: m[7],
  }));
}

t.test('escaping: text from summary.json cannot become markup', async (t) => {
  t.equal(escapeHtml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  const hostile: Summary = { ...tcp, title: '<script>alert(1)</script>', traffic: ['a "quoted" & <b>bold</b>'], why: ['Why <it> happens & more.'] };
  const html = experimentPage(hostile, EXTRA);
  t.notMatch(html, '<script>alert(1)', 'the title is escaped');
  t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt;');
  t.match(html, 'a &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
  t.match(html, 'Why &lt;it&gt; happens &amp; more.', 'the explanation is escaped');
  t.equal(html.match(/<script>/g)?.length, 1, 'only the page\'s own hover script');
});

t.test('determinism: the same summary gives the same page, with no dates', async (t) => {
  for (const s of [tcp, xdp, unsupported]) {
    const a = experimentPage(s, EXTRA);
    t.equal(experimentPage(structuredClone(s), EXTRA), a, s.experiment);
    t.notMatch(a, /\b20\d\d-\d\d-\d\d\b/, `${s.experiment}: no date`);
  }
  t.equal(indexPage([tcp, xdp]), indexPage([tcp, xdp]));
});

t.test('layers: the byte at each layer\'s offset carries that layer', async (t) => {
  for (const s of [tcp, xdp]) {
    const html = experimentPage(s, EXTRA);
    s.kernel_view.packets.forEach((p, i) => {
      const bytes = bytesIn(html, `packet-${i}`);
      t.equal(bytes.length, p.captured, `${s.experiment} #${i}: one span per captured byte`);
      t.same(bytes.map((b) => b.offset), [...bytes.keys()], 'in offset order');
      for (const l of decodeSummaryPacket(p).layers) {
        for (let o = l.offset; o < Math.min(l.offset + l.length, p.captured); o++) {
          if (bytes[o].layer !== l.name) t.fail(`${s.experiment} #${i} byte ${o}: ${bytes[o].layer}, not ${l.name}`);
        }
        if (l.length > 0 && l.offset < p.captured) {
          t.equal(bytes[l.offset].layer, l.name, `${s.experiment} #${i}: ${l.name} at ${l.offset}`);
          t.ok(bytes[l.offset].classes.includes('start'), 'a rule marks where the layer starts');
        }
      }
    });
  }
  const flags = bytesIn(experimentPage(tcp, EXTRA), 'packet-2')[13];
  t.same(flags.fields, ['tcp.flags']);
  t.match(flags.title, 'tcp.flags = 24 (0x18)');
  t.match(flags.title, 'byte 13 of packet #2');
  const versionIhl = bytesIn(experimentPage(xdp, EXTRA), 'packet-0')[14];
  t.same(versionIhl.fields, ['ipv4.version', 'ipv4.ihl'], 'fields sharing a byte are all named');
});

t.test('masked bytes: shown as xx, and hovering says masked rather than 0', async (t) => {
  for (const s of [tcp, xdp]) {
    const html = experimentPage(s, EXTRA);
    s.kernel_view.packets.forEach((p, i) => {
      const bytes = bytesIn(html, `packet-${i}`);
      const masked = new Set(p.masked.flatMap((r) => Array.from({ length: r.length }, (_, k) => r.offset + k)));
      t.same(
        bytes.filter((b) => b.classes.includes('masked')).map((b) => b.offset),
        [...masked].sort((a, b) => a - b),
        `${s.experiment} #${i}: exactly the masked ranges`,
      );
      for (const r of p.masked) {
        const b = bytes[r.offset];
        t.equal(b.text, 'xx');
        t.match(b.title, `${r.field}: masked: ${maskReason(r.field)}; zeroed so that results regenerate byte for byte`, `${s.experiment} #${i} ${r.field}`);
        t.notMatch(b.title, `${r.field} = `, 'no value for a masked field');
      }
    });
  }
});

t.test('highlights: exactly found_in.offset .. +length of the packet the read was found in', async (t) => {
  for (const s of [tcp, xdp]) {
    const html = experimentPage(s, EXTRA);
    s.kernel_view.packets.forEach((_, i) => {
      const expected = s.user_view.reads.flatMap((r, j) =>
        r.found_in?.packet === i ? Array.from({ length: r.length }, (_, k) => [r.found_in!.offset + k, String(j)]) : [],
      );
      const boxed = bytesIn(html, `packet-${i}`).filter((b) => b.classes.includes('hl'));
      t.same(boxed.map((b) => [b.offset, b.reads.join(' ')]), expected, `${s.experiment} #${i}`);
    });
    s.user_view.reads.forEach((r, j) => {
      const bytes = bytesIn(html, `read-${j}`);
      t.equal(bytes.length, r.length, `${s.experiment} read #${j}: one span per byte`);
      const packet = bytesIn(html, `packet-${r.found_in!.packet}`);
      t.same(bytes.map((b) => b.layer), packet.slice(r.found_in!.offset, r.found_in!.offset + r.length).map((b) => b.layer), 'coloured as in the packet');
    });
  }
  t.equal(bytesIn(experimentPage(tcp, EXTRA), 'read-0')[0].layer, 'payload');
});

t.test('unsupported: said plainly, no bytes', async (t) => {
  const html = experimentPage(unsupported, EXTRA);
  t.match(html, /class="banner unsupported"[^>]*>unsupported on this kernel: tcx links are not available \(added in Linux 6\.6\)\./);
  t.match(html, 'No packets and no reads to show.');
  t.notMatch(html, 'data-offset=');
  t.notMatch(html, 'class="legend"', 'no legend without bytes');
});

t.test('lost records and failed checks are visible', async (t) => {
  const lossy: Summary = { ...tcp, kernel_view: { ...tcp.kernel_view, lost: 3 } };
  t.match(experimentPage(lossy, EXTRA), /class="banner lost"[^>]*>3 record\(s\) were lost/);
  t.notMatch(experimentPage(tcp, EXTRA), 'class="banner lost"');
  t.match(experimentPage({ ...lossy, channel: 'perf' }, EXTRA), /3 record\(s\) were lost: a CPU&#39;s perf buffer was full|3 record\(s\) were lost: a CPU's perf buffer was full/, 'says which buffer was full');
  const check = { description: 'd', expected: '1', observed: '2', ok: false };
  const status = { kind: 'failed', reason: 'cross-check failed: d: expected 1, observed 2', exit_code: 7 } as const;
  const failed: Summary = { ...tcp, checks: [check], status, overview: { ...tcp.overview, status: statusLine(status) } };
  const page = experimentPage(failed, EXTRA);
  t.match(page, '✗ FAILED');
  t.match(page, /class="banner failed"[^>]*>failed: cross-check failed: d: expected 1, observed 2\./, 'the banner says the run failed');
  t.match(indexPage([failed]), '<td class="status-failed">failed: cross-check failed', 'the index cell is red and says failed, not ok');
});

t.test('an ICMP error: the datagram it quotes is coloured by its own layers', async (t) => {
  const quote = ipv4(hex(`45 00 00 27 00 00 40 00 40 11 00 00 7f 00 00 01 7f 00 00 01 ${UDP}`));
  const bytes = ipv4(hex(`45 00 00 43 00 00 40 00 40 01 00 00 7f 00 00 01 7f 00 00 01 03 03 00 00 00 00 00 00 ${Buffer.from(quote).toString('hex').replace(/(..)/g, '$1 ')}`));
  const d = decode(bytes, { transport: 'udp' });
  t.ok(d.quoted, 'the fixture is an ICMP error');
  const masked = maskedRanges(d, known);
  const p: SummaryPacket = {
    ...tcp.kernel_view.packets[0], length: bytes.length, captured: bytes.length, starts_with: 'ipv4', tcp_flags: null,
    hex: Buffer.from(bytes).fill(0, 10, 12).toString('hex'), masked, summary: 'ICMP',
  };
  const s: Summary = { ...tcp, kernel_view: { ...tcp.kernel_view, packets: [p] }, user_view: { reads: [] } };
  const spans = bytesIn(experimentPage(s, EXTRA), 'packet-0');
  t.equal(spans[20].layer, 'icmp');
  t.equal(spans[28].layer, 'ipv4', 'the quoted IPv4 header');
  t.ok(spans[28].classes.includes('quoted'));
  t.equal(spans[48].layer, 'udp', 'the quoted UDP header');
  t.match(spans[48].title, "icmp.quoted.udp.src_port: masked: the client's ephemeral port, picked anew each run");
  t.notOk(spans[20].classes.includes('quoted'));
});

t.test('index: the overview matrix, each experiment linking to its page', async (t) => {
  const html = indexPage([tcp, xdp, unsupported]);
  for (const c of OVERVIEW_COLUMNS) t.match(html, `<th scope="col">${escapeHtml(c)}</th>`);
  t.same([...html.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]), ['tcp/index.html', 'xdp/index.html', 'xdp/index.html']);
  for (const cell of overviewCells(tcp).slice(0, -1)) t.match(html, `<td>${escapeHtml(cell)}</td>`);
  t.match(html, '<td class="status-differs">ok; 2017 study: differs</td>');
  t.match(html, '<td class="status-unsupported">unsupported on this kernel');
});

t.test('a page with no index above it (an import) has no link back', async (t) => {
  t.match(experimentPage(tcp, EXTRA), '<a href="../index.html">');
  t.notMatch(experimentPage(tcp, { ...EXTRA, indexAbove: false }), '../index.html');
});
