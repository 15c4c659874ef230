// `npm run import` against hostile logs: more than a thousand mutations (mutate-logs.ts) of the study's
// format and the harness's own. Each must import faithfully (the packets and reads the generator put in,
// byte for byte) or be refused with exit 2, naming the file and a line where the damage is, with no output
// folder left behind; never a stack trace. In-process (importCommand), no root needed.
//   FUZZ_SEED=<n>            another seed (the default is fixed, so failures reproduce)
//   FUZZ_CASE='<id>'         one case alone, e.g. FUZZ_CASE='tcp/study-trace truncate-line#1'
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importCommand } from '../../../../scripts/commands/import.ts';
import { observationsFromLogs } from '../../../../scripts/run/from-logs.ts';
import { HarnessError } from '../../../../scripts/support/errors.ts';
import { findExperiment } from '../../../../experiments/index.ts';
import { pktTypeName } from '../../../../scripts/vocabulary/layers.ts';
import { hookNamed } from '../../../../scripts/hooks/index.ts';
import type { Summary } from '../../../../scripts/report/summary-json.ts';
import { cli, tempDir } from '../../../helpers.ts';
import { generateCases, head, type Case, type Expected } from './mutate-logs.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 2017);
const ONLY = process.env.FUZZ_CASE;
let generated: Case[] | undefined;
/** Every case of the seed, generated once (about two seconds) for all the tests below. */
const allCases = () => (generated ??= generateCases(SEED));
const caseNamed = (id: string) => allCases().find((c) => c.id === id);
/** A refusal quotes what it must, not a multi-megabyte line. */
const MAX_MESSAGE = 1500;

/** A way a case can go wrong: its class (for the tally) and what happened. */
interface Failure {
  kind: string;
  what: string;
}

interface Files {
  kernel: string;
  user: string;
  out: string;
}

function argsOf(c: Case, f: Files): string[] {
  return [f.kernel, f.user, '--as', c.as, '--out', f.out, ...(c.tag === undefined ? [] : ['--tag', c.tag.toString(16)])];
}

/** The import's outcome: null when it returned, else what it threw. */
async function importQuietly(args: string[]): Promise<unknown> {
  const log = console.log;
  console.log = () => {}; // the verdict line of every successful import
  try {
    const code = await importCommand(args);
    return code === 0 ? null : new Error(`importCommand returned ${code} instead of throwing`);
  } catch (error) {
    return error;
  } finally {
    console.log = log;
  }
}

const masked = (bytes: Uint8Array, ranges: { offset: number; length: number }[]) => {
  const out = Buffer.from(bytes);
  for (const r of ranges) out.fill(0, r.offset, r.offset + r.length);
  return out.toString('hex');
};

/** The import says exactly what the logs hold: summary.json (masked as it is), and the observations unmasked. */
function unfaithful(c: Case, f: Files, expected: Expected): string | null {
  const s = JSON.parse(readFileSync(join(f.out, 'summary.json'), 'utf8')) as Summary;
  const packets = s.kernel_view.packets;
  if (packets.length !== expected.packets.length) return `${packets.length} packets in summary.json, the logs hold ${expected.packets.length}`;
  for (const [i, p] of expected.packets.entries()) {
    const got = packets[i];
    const want = {
      length: p.length,
      captured: p.bytes.length,
      hex: masked(p.bytes, got.masked),
      // Where the hook's pkt_type tells nothing (XDP, egress, tracing), the summary says so instead of a value.
      pkt_type: p.pktType === null || hookNamed(s.hook).pktTypeNotMeaningful ? null : pktTypeName(p.pktType),
      protocol: p.protocol === null ? null : `0x${p.protocol.toString(16).padStart(4, '0')}`,
      ifindex: p.ifindex,
    };
    const have = { length: got.length, captured: got.captured, hex: got.hex, pkt_type: got.pkt_type, protocol: got.protocol, ifindex: got.ifindex };
    if (JSON.stringify(have) !== JSON.stringify(want)) return `packet #${i} in summary.json is ${JSON.stringify(have)}, the logs say ${JSON.stringify(want)}`;
  }
  const reads = s.user_view.reads;
  if (reads.length !== expected.reads.length) return `${reads.length} reads in summary.json, the logs hold ${expected.reads.length}`;
  for (const [i, r] of expected.reads.entries()) {
    if (reads[i].length !== r.bytes.length || reads[i].hex !== masked(r.bytes, reads[i].masked)) return `read #${i} in summary.json differs from the log`;
  }
  // Unmasked: every byte, as parsed.
  const o = observationsFromLogs({ spec: findExperiment(c.as)!, kernelLog: f.kernel, userLog: f.user, tag: c.tag });
  const exact = (xs: { bytes: Uint8Array }[]) => xs.map((x) => Buffer.from(x.bytes).toString('hex'));
  if (exact(o.packets).join() !== exact(expected.packets).join()) return 'the parsed packets\' bytes differ from what the generator wrote';
  if (exact(o.reads).join() !== exact(expected.reads).join()) return 'the parsed reads\' bytes differ from what the generator wrote';
  return null;
}

const lineCount = (bytes: Buffer) => Math.max(1, bytes.toString('utf8').split('\n').length);

/** A refusal as the contract says: exit 2, the right file, a line where the damage is, nothing written. */
function badRefusal(c: Case, f: Files, error: unknown): Failure | null {
  if (!(error instanceof HarnessError)) {
    const left = existsSync(f.out) ? ' (and a partial output folder)' : '';
    return { kind: `stack trace (exit 1: not a HarnessError)${left}`, what: error instanceof Error ? (error.stack ?? String(error)).split('\n').slice(0, 4).join(' | ') : String(error) };
  }
  if (error.code !== 2) return { kind: `wrong exit code`, what: `exit ${error.code}: ${error.message.slice(0, 300)}` };
  const message = error.message;
  if (existsSync(f.out)) return { kind: 'output folder left behind', what: message.slice(0, 300) };
  if (message.length > MAX_MESSAGE) return { kind: 'message too long', what: `${message.length} characters: ${message.slice(0, 200)}…` };
  const named = [...message.matchAll(/\bline (\d+)\b/g)].map((m) => Number(m[1]));
  if (named.length === 0) return { kind: 'no line number', what: message.slice(0, 300) };
  const want = c.expect.refused;
  if (!want) return { kind: 'refused a valid log', what: message.slice(0, 400) };
  const file = want.file === 'kernel' ? f.kernel : f.user;
  if (!message.startsWith(`${file}: `)) return { kind: 'blamed the wrong file', what: `expected ${want.file}: ${message.slice(0, 300)}` };
  const lines = lineCount(want.file === 'kernel' ? c.kernel : c.user);
  if (named.some((n) => n < 1 || n > lines)) return { kind: 'line outside the file', what: `${lines} lines: ${message.slice(0, 300)}` };
  if (want.lines !== 'any' && !named.some((n) => (want.lines as number[]).includes(n))) {
    return { kind: 'wrong line', what: `expected one of lines ${want.lines.slice(0, 12).join(', ')}: ${message.slice(0, 400)}` };
  }
  return null;
}

async function runCase(c: Case, dir: string): Promise<Failure | null> {
  const f: Files = { kernel: join(dir, 'kernelspace.log'), user: join(dir, 'userspace.log'), out: join(dir, 'out') };
  writeFileSync(f.kernel, c.kernel);
  writeFileSync(f.user, c.user);
  const error = await importQuietly(argsOf(c, f));
  if (error !== null) return badRefusal(c, f, error);
  if (!c.expect.valid) return { kind: 'accepted a damaged log', what: 'imported, exit 0' };
  const wrong = unfaithful(c, f, c.expect.valid);
  return wrong ? { kind: 'import not faithful', what: wrong } : null;
}

function describeCase(c: Case, failure: Failure): string {
  return [
    `${failure.kind}: ${failure.what}`,
    `  case: ${c.id} (${c.detail}); reproduce with FUZZ_SEED=${SEED} FUZZ_CASE='${c.id}'`,
    `  import ${c.as === undefined ? '' : `--as ${c.as}`}${c.tag === undefined ? '' : ` --tag ${c.tag.toString(16)}`}; expected ${c.expect.valid ? 'an import' : ''}${c.expect.valid && c.expect.refused ? ' or ' : ''}${c.expect.refused ? `a refusal at ${c.expect.refused.file} line ${c.expect.refused.lines === 'any' ? 'any' : c.expect.refused.lines.slice(0, 8).join('/')}` : ''}`,
    `  kernel log (${c.kernel.length} B):`,
    head(c.kernel),
    `  user log (${c.user.length} B):`,
    head(c.user, 6),
  ].join('\n');
}

t.test(`mutated logs import faithfully or are refused at a line (seed ${SEED})`, async (t) => {
  const started = performance.now();
  const cases = ONLY === undefined ? allCases() : generateCases(SEED, ONLY);
  const root = tempDir('import-fuzz');
  const failures = new Map<string, { c: Case; failure: Failure }[]>();
  let imported = 0;
  for (const [i, c] of cases.entries()) {
    const dir = join(root, String(i));
    mkdirSync(dir);
    const failure = await runCase(c, dir);
    if (failure) failures.set(failure.kind, [...(failures.get(failure.kind) ?? []), { c, failure }]);
    else if (existsSync(join(dir, 'out'))) imported++;
    rmSync(dir, { recursive: true, force: true }); // some logs are megabytes
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const mutations = new Set(cases.map((c) => c.mutation)).size;
  t.comment(`${cases.length} mutated log pairs (${mutations} mutations): ${imported} imported faithfully, ${cases.length - imported - [...failures.values()].flat().length} refused at a line; ${seconds} s`);
  if (!ONLY) t.ok(cases.length >= 1000, `at least a thousand cases (${cases.length})`);
  for (const [kind, list] of failures) {
    const counts = new Map<string, number>();
    for (const { c } of list) counts.set(c.mutation, (counts.get(c.mutation) ?? 0) + 1);
    const byMutation = [...counts].map(([m, n]) => `${m} ×${n}`).join(', ');
    t.fail(`${list.length} case(s): ${kind} (mutations: ${byMutation})\n\n${list.slice(0, 3).map(({ c, failure }) => describeCase(c, failure)).join('\n\n')}`);
  }
  t.equal(failures.size, 0, 'no case breaks the contract');
});

// The nastiest cases through the real CLI: exit 2, "error: …" with a line and no stack, no folder.
const NASTY = [
  ['tcp/ringbuf bad-count#0', 'a count the pcapng writer overflowed on (exit 1 and half a folder before)'],
  ['raw/study-trace huge-value#0', 'a byte value megabytes long'],
  ['udp/study-trace swapped#0', 'kernel and user logs swapped'],
  ['udp/tagged-trace wrong-as#0', 'udp logs imported as another experiment'],
  ['tcp/tagged-trace lost-events-and-a-gap#0', 'trace_pipe lost events, and a byte is missing'],
  ['xdp/tagged-trace cut-file#0', 'a file cut off'],
  ['packet/study-bare two-runs-without-tag#0', 'two runs in one log'],
  ['cgroup/study-trace invalid-utf8-in-message#0', 'invalid UTF-8 in a dump line'],
];

t.test('the nastiest cases through the CLI: exit 2, the line, no stack trace, no folder', async (t) => {
  const root = tempDir('import-cli');
  const runs = NASTY.map(async ([id, why], i) => {
    let c = caseNamed(id);
    t.ok(c, `case ${id} exists`);
    if (!c) return;
    if (id.endsWith('bad-count#0')) {
      // Pin the worst count whatever the PRNG picked: skb->len as %u of -1.
      const text = c.kernel.toString('utf8').replace(/Received \S+ bytes/, 'Received 4294967295 bytes');
      c = { ...c, kernel: Buffer.from(text), expect: { refused: { file: 'kernel', lines: [1] } } };
    }
    const dir = join(root, String(i));
    mkdirSync(dir);
    const f: Files = { kernel: join(dir, 'kernelspace.log'), user: join(dir, 'userspace.log'), out: join(dir, 'out') };
    writeFileSync(f.kernel, c.kernel);
    writeFileSync(f.user, c.user);
    const r = await cli(['import', ...argsOf(c, f)]);
    const stderr = String(r.stderr);
    t.equal(r.exitCode, 2, `${why}: exit 2 (${stderr.slice(0, 300)})`);
    t.match(stderr, /^error: .*\bline \d+\b/, `${why}: the error names a line`);
    t.notMatch(stderr, /^\s+at /m, `${why}: no stack trace`);
    t.ok(stderr.length < 4000, `${why}: a short message (${stderr.length} characters)`);
    t.notOk(existsSync(f.out), `${why}: no output folder`);
  });
  await Promise.all(runs);
});

t.test('a valid import through the CLI: CRLF, a byte-order mark and an empty server log', async (t) => {
  const c = caseNamed('tcp/study-trace crlf#0')!;
  const dir = tempDir('import-cli-ok');
  const f: Files = { kernel: join(dir, 'kernelspace.log'), user: join(dir, 'userspace.log'), out: join(dir, 'out') };
  writeFileSync(f.kernel, Buffer.concat([Buffer.from('\uFEFF'), c.kernel]));
  writeFileSync(f.user, '');
  const r = await cli(['import', ...argsOf(c, f)]);
  t.equal(r.exitCode, 0, String(r.all).slice(0, 500));
  const s = JSON.parse(readFileSync(join(f.out, 'summary.json'), 'utf8')) as Summary;
  t.same(s.kernel_view.packets.map((p) => p.length), [40, 32, 43, 32]);
  t.same(s.user_view.reads, [], 'no reads: the server read nothing');
});

t.test('arguments: --tag is strict hex, counter cannot be imported', async (t) => {
  const c = caseNamed('tcp/tagged-bare identity#0')!;
  const dir = tempDir('import-args');
  const f: Files = { kernel: join(dir, 'kernelspace.log'), user: join(dir, 'userspace.log'), out: join(dir, 'out') };
  writeFileSync(f.kernel, c.kernel);
  writeFileSync(f.user, c.user);
  for (const tag of ['12zz', '10000', '-1', '', '0x']) {
    const error = await importQuietly([f.kernel, f.user, '--as', 'tcp', '--out', f.out, `--tag=${tag}`]);
    t.match(error, { code: 2, message: /--tag takes a 16-bit hex number/ }, `--tag ${JSON.stringify(tag)}`);
  }
  const error = await importQuietly([f.kernel, f.user, '--as', 'counter', '--out', f.out]);
  t.match(error, { code: 2, message: /counter cannot be imported/ });
  t.notOk(existsSync(f.out));
});
