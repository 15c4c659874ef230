// The HTML pages of results/ in a real headless Chromium: they load offline and cleanly, and colours,
// boxes and hover text sit on the bytes summary.json says.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RESULT_NAMES } from '../../experiments/index.ts';
import { ROOT } from '../../scripts/support/paths.ts';
import { readSummaries } from '../../scripts/report/read-results.ts';
import { decodeSummaryPacket, type Summary } from '../../scripts/report/summary-json.ts';
import { experimentPage } from '../../scripts/report/html/experiment-page.ts';
import { indexPage } from '../../scripts/report/html/index-page.ts';
import { LAYER_COLOURS } from '../../scripts/report/html/style.ts';
import type { ByteLayer } from '../../scripts/report/html/byte-map.ts';
import { maskReason } from '../../scripts/analysis/mask.ts';
import { tempDir } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : 'chromium not installed — run as root: bash scripts/bootstrap.sh test';

/** The test's own colour lookup: "#a5d8ff" as getComputedStyle writes it. */
function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

/** Opens a page, recording console errors, uncaught exceptions and every request it makes. */
async function open(browser: Browser, file: string) {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url);
  return { page, url, errors, requests };
}

const backgroundOf = (page: Page, selector: string) =>
  page.locator(selector).first().evaluate((e) => getComputedStyle(e).backgroundColor);

t.test('the pages in Chromium', { skip }, async (t) => {
  const dir = tempDir('html');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const summaries = readSummaries(join(ROOT, 'results'), RESULT_NAMES);
  t.ok(summaries.length > 0, 'results/ has summaries');
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  write(join(dir, 'index.html'), indexPage(summaries));
  for (const s of summaries) {
    write(join(dir, s.experiment, 'index.html'), experimentPage(s, { indexAbove: true }));
  }

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  t.teardown(() => browser.close());

  await t.test('index: loads cleanly, every link resolves to a rendered page', async (t) => {
    const { page, url, errors, requests } = await open(browser, join(dir, 'index.html'));
    t.same(errors, [], 'no console errors');
    t.same(requests, [url], 'no requests but the page itself');
    const links = await page.locator('table a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    t.same(links, summaries.map((s) => pathToFileURL(join(dir, s.experiment, 'index.html')).href), 'one link per experiment, in order');
    for (const href of links) t.ok(existsSync(new URL(href)), `${href} exists`);
    await page.close();
  });

  for (const s of summaries) await t.test(s.experiment, async (t) => checkPage(t, browser, dir, s));
});

async function checkPage(t: Test, browser: Browser, dir: string, s: Summary) {
  const { page, url, errors, requests } = await open(browser, join(dir, s.experiment, 'index.html'));
  t.same(errors, [], 'no console errors');
  t.same(requests, [url], 'no requests but the page itself');
  const back = await page.locator('nav a').evaluate((a) => (a as HTMLAnchorElement).href);
  t.ok(existsSync(new URL(back)), 'the link back to the index resolves');

  const legend = new Map<string, string>();
  for (const [i, p] of s.kernel_view.packets.entries()) {
    for (const l of decodeSummaryPacket(p).layers) {
      if (l.length === 0 || l.offset >= p.captured) continue; // no byte to look at (an empty payload)
      const byte = `#packet-${i} [data-offset="${l.offset}"]`;
      t.equal(await page.locator(byte).getAttribute('data-layer'), l.name, `#${i}: ${l.name} at ${l.offset}`);
      const colour = await backgroundOf(page, byte);
      if (!legend.has(l.name)) legend.set(l.name, await backgroundOf(page, `[data-legend="${l.name}"] .swatch`));
      t.equal(colour, legend.get(l.name), `#${i}: byte ${l.offset} has the legend's ${l.name} colour`);
      t.equal(colour, rgb(LAYER_COLOURS[l.name]), 'and the stylesheet\'s');
      // The check can fail: another layer's colour is not this one.
      const wrong: ByteLayer = l.name === 'payload' ? 'tcp' : 'payload';
      t.not(colour, rgb(LAYER_COLOURS[wrong]), `not ${wrong}'s colour`);
    }
  }

  const boxed = await page.locator('.kernel .b.hl').evaluateAll((bs) =>
    bs.map((b) => `${b.closest('[data-packet]')!.getAttribute('data-packet')}:${b.getAttribute('data-offset')}:${b.getAttribute('data-read')}`),
  );
  const expected = s.user_view.reads.flatMap((r, j) =>
    r.found_in ? Array.from({ length: r.length }, (_, k) => `${r.found_in!.packet}:${r.found_in!.offset + k}:${j}`) : [],
  );
  t.same(boxed.sort(), expected.sort(), 'boxed bytes: each read\'s found_in.offset .. +length, in its packet');

  const withTcp = s.kernel_view.packets.findIndex((p) => decodeSummaryPacket(p).layers.some((l) => l.name === 'tcp'));
  if (withTcp >= 0) {
    const flags = decodeSummaryPacket(s.kernel_view.packets[withTcp]).layers.find((l) => l.name === 'tcp')!.fields.find((f) => f.name === 'flags');
    if (flags) {
      await page.hover(`#packet-${withTcp} [data-offset="${flags.offset}"]`);
      t.match(await page.locator('#info').textContent(), `tcp.flags = ${flags.value}`, 'hovering the TCP flags byte names the field');
    }
  }
  const masked = s.kernel_view.packets.findIndex((p) => p.masked.length > 0);
  if (masked >= 0) {
    const r = s.kernel_view.packets[masked].masked[0];
    await page.hover(`#packet-${masked} [data-offset="${r.offset}"]`);
    t.match(await page.locator('#info').textContent(), `${r.field}: masked: ${maskReason(r.field)}`, 'hovering a masked byte says so');
  }
  if (s.overview.status.startsWith('unsupported')) {
    t.match(await page.locator('.banner.unsupported').textContent(), s.overview.status, 'unsupported, said plainly');
  }
  t.same(errors, [], 'still no console errors after hovering');
  await page.close();
}
