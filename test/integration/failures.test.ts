// Bad input and failures: one clear message, a distinct exit code, nothing left behind.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { IS_ROOT, NEEDS_ROOT, cli, leftovers, tempDir } from '../helpers.ts';
import { EXIT, HarnessError } from '../../scripts/support/errors.ts';
import { cleanupAll } from '../../scripts/support/cleanup.ts';
import { createNamespace } from '../../scripts/run/topology/netns.ts';
import { startServer } from '../../scripts/run/server/start-server.ts';
import { renderUserLog } from '../../scripts/run/capture/dump-log.ts';
import { ROOT } from '../../scripts/support/paths.ts';
import { clangBpfArgs } from '../../scripts/run/setup/build-bpf.ts';

t.test('usage errors exit 2 before touching the kernel', async (t) => {
  const dir = tempDir('usage');
  const userLog = join(dir, 'userspace.log');
  writeFileSync(userLog, renderUserLog([{ bytes: Buffer.from('0123456789\n') }]));
  const cases: [string[], RegExp][] = [
    [['experiment'], /name at least one experiment/],
    [['experiment', 'nope'], /unknown experiment "nope"/],
    [['experiment', '../../etc/passwd'], /unknown experiment "\.\.\/\.\.\/etc\/passwd"/],
    [['experiment', 'raw', '--bogus'], /Unknown option '--bogus'/],
    [['experiment', 'raw', '--channel', 'pigeon'], /unknown channel "pigeon"/],
    [['experiment', 'raw', '--channel'], /argument missing/],
    [['experiment', 'xdp', '--topology', 'loopback'], /--topology applies to socket experiments only/],
    [['experiment', 'raw', '--topology', 'moon'], /unknown topology "moon"/],
    [['experiment', 'tcp', '--kernel', '6.1', '--logs', dir], /--logs and --kernel conflict/],
    [['experiment', 'tcp', '--kernel', '2.6'], /unknown kernel "2\.6"/],
    [['import', userLog], /two files/],
    [['import', userLog, userLog], /--as is required/],
    [['import', userLog, userLog, '--as', 'tcp'], /--out is required/],
    [['import', userLog, userLog, '--as', 'sctp', '--out', dir], /unknown experiment "sctp"/],
    [['import', join(dir, 'absent.log'), userLog, '--as', 'tcp', '--out', dir], /cannot read .*absent\.log/],
    [['import', userLog, userLog, '--as', 'tcp', '--out', dir], /looks like a userspace \(server output\) log/],
    [['import', userLog, userLog, '--as', 'tcp', '--out', dir, '--tag', 'xyz'], /--tag takes a 16-bit hex number/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    const run = await cli(args);
    t.equal(run.exitCode, EXIT.usage, `${args.join(' ')}: exit ${EXIT.usage}`);
    t.match(run.stderr, message, `${args.join(' ')}: says why`);
  }
});

t.test('a user who is not root is told so (exit 3)', async (t) => {
  const run = await cli(['experiment', 'tcp', '--results', tempDir('notroot')], IS_ROOT ? { uid: 65534 } : {});
  t.equal(run.exitCode, EXIT.notRoot, run.all);
  t.match(run.stderr, /needs root/);
});

t.test('a BPF object that fails to load: exit 5 with the verifier log', { skip: NEEDS_ROOT }, async (t) => {
  const dir = tempDir('rejected');
  const rejected = join(dir, 'rejected.bpf.o');
  await execa('clang', [...clangBpfArgs().filter((a) => a !== '-Werror'), '-c', join(ROOT, 'test/fixtures/rejected.bpf.c'), '-o', rejected]);
  const garbage = join(dir, 'garbage.bpf.o');
  writeFileSync(garbage, 'not an ELF file');
  const ns = await createNamespace('rejected');
  t.teardown(cleanupAll);
  const config = { program: 'dump', hook: 'socket', channel: 'ringbuf', tag: 1, address: '127.0.0.1', port: 16962, protocol: 17, ifname: 'lo' } as const;
  for (const ownProcess of [false, true]) {
    for (const [object, message] of [
      // The stage the server names, then the verifier's own words (captured by the server, not scraped from stderr).
      [rejected, /^server udp failed before server udp to attach its filter: bpf_object__load\(.*\) failed: EACCES .*\(stage load\)\n[\s\S]*invalid bpf_context access/],
      [garbage, /bpf_object__open_file.*failed.*\(stage load\)/],
    ] as const) {
      const error = await startServer('udp', ns.path, { ...config, object }, { ownProcess, readyTimeoutMs: 15_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      const as = ownProcess ? 'a server process' : 'a server thread';
      t.type(error, HarnessError, as);
      t.equal((error as HarnessError).code, EXIT.bpfLoad, `${as}: exit ${EXIT.bpfLoad}`);
      t.match((error as HarnessError).message, message, as);
    }
  }
  t.match(await leftovers(process.pid), [new RegExp(`^netns ${ns.name}`)], 'the leftover check sees a live namespace');
  await ns.remove();
  t.same(await leftovers(process.pid), [], 'no namespace or server left');
});

t.test('Ctrl-C during a run cleans up and exits 130', { skip: NEEDS_ROOT }, async (t) => {
  const run = cli(['experiment', 'tcp', '--results', tempDir('sigint'), '--logs', tempDir('sigint-logs')]);
  // Interrupt once the namespace exists: the server is still starting then.
  run.stdout!.on('data', (chunk: Buffer) => {
    if (/namespace edl-/.test(String(chunk))) run.kill('SIGINT');
  });
  const result = await run;
  t.equal(result.exitCode, EXIT.interrupted, result.all);
  t.same(await leftovers(run.pid!), [], 'namespace, server and traffic are gone');
});
