// The system's tracing state as it was: loading a program that calls bpf_trace_printk enables the top-level
// bpf_trace_printk event; a run turns it off again where it was off, keeps its lines out of the system-wide
// buffer, and a killed run's next run finishes the job. Where the event was on, it stays on.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { NEEDS_ROOT, cli, tempDir } from '../helpers.ts';

// The harness's lines carry its key: "edl" and eight hex digits (bpf/dump.bpf.c).
const HARNESS_LINE = /edl[0-9a-f]{8}/g;

async function tracefs(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'edl-test-tracefs-'));
  await execa('mount', ['-t', 'tracefs', 'none', dir]);
  t.teardown(async () => {
    await execa('umount', [dir]);
    rmdirSync(dir);
  });
  return dir;
}

// kernel/trace/bpf_trace.c has had the event since 5.9 (ac5a72ea5c89); before, the lines went to the
// top-level buffer directly and there is no state to restore.
const [major, minor] = release().split('.').map(Number);
const NO_EVENT = major * 100 + minor < 509 ? `kernel ${release()} has no bpf_trace/bpf_trace_printk event (added in 5.9)` : false;

t.test('a run leaves the top-level printk event as it found it, and the global buffer without its lines', { skip: NEEDS_ROOT || NO_EVENT }, async (t) => {
  const root = await tracefs(t);
  const enable = join(root, 'events', 'bpf_trace', 'bpf_trace_printk', 'enable');
  t.ok(existsSync(enable), 'the kernel has the event');
  const original = readFileSync(enable, 'utf8').trim();
  t.teardown(() => void writeFileSync(enable, original));
  const lines = () => (readFileSync(join(root, 'trace'), 'utf8').match(HARNESS_LINE) ?? []).length;
  const run = (channel: string) => cli(['experiment', 'tcp', 'udp', '--channel', channel, '--results', tempDir('tracing'), '--logs', tempDir('tracing-logs')]);

  writeFileSync(enable, '0');
  for (const channel of ['ringbuf', 'trace_pipe']) {
    const before = lines();
    const result = await run(channel);
    t.equal(result.exitCode, 0, result.all);
    t.equal(readFileSync(enable, 'utf8').trim(), '0', `${channel}: the event is off again`);
    t.equal(lines() - before, 0, `${channel}: no harness line reached the system-wide buffer`);
  }

  // Killed after a load, before it could turn the event off: its record tells the next run to.
  const killed = cli(['experiment', 'tcp', '--channel', 'trace_pipe', '--results', tempDir('tracing-kill'), '--logs', tempDir('tracing-kill-logs')]);
  await new Promise<void>((resolve) => killed.stdout!.on('data', (chunk: Buffer) => /ready/.test(String(chunk)) && resolve()));
  killed.kill('SIGKILL');
  await killed;
  writeFileSync(enable, '1'); // as the load left it
  const next = await run('ringbuf');
  t.equal(next.exitCode, 0, next.all);
  t.match(next.stdout, /bpf_trace_printk event turned off \(a killed run had found it off\)/, 'the next run says so');
  t.equal(readFileSync(enable, 'utf8').trim(), '0', 'the event is off again');

  // Someone had it on: left on.
  writeFileSync(enable, '1');
  const on = await run('trace_pipe');
  t.equal(on.exitCode, 0, on.all);
  t.equal(readFileSync(enable, 'utf8').trim(), '1', 'an event that was on stays on');
});
