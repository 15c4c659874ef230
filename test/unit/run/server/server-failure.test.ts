// A server's structured failure becomes one message and one exit code; a helper the program chose is never
// reported as the kernel lacking the hook.
import t from 'tap';
import { serverFailure } from '../../../../scripts/run/server/server-failure.ts';
import { EXIT } from '../../../../scripts/support/errors.ts';
import type { ServerStage } from '../../../../scripts/run/server/ipc.ts';

const error = (stage: ServerStage, message: string, call?: string, errno?: number) =>
  ({ type: 'error', stage, message, ...(call ? { call, errno } : {}) }) as const;

t.test('each stage maps to its exit code', async (t) => {
  const cases: [ServerStage, number][] = [
    ['config', EXIT.bug],
    ['load', EXIT.bpfLoad],
    ['configure', EXIT.bpfLoad],
    ['pin', EXIT.runFailed],
    ['attach', EXIT.runFailed],
    ['socket', EXIT.runFailed],
    ['serve', EXIT.runFailed],
  ];
  for (const [stage, code] of cases) {
    const e = serverFailure('tcp', 'dump', 'before ready', error(stage, 'x failed: EPERM'), 'exit 1', '');
    t.equal(e.code, code, `${stage} → ${code}`);
    t.match(e.message, new RegExp(`^server tcp failed before ready: x failed: EPERM \\(stage ${stage}\\)$`));
  }
  const silent = serverFailure('udp', 'dump', 'to stop', undefined, 'exit SIGSEGV', 'Segmentation fault');
  t.equal(silent.code, EXIT.runFailed, 'a server that died without a word');
  t.equal(silent.message, 'server udp failed to stop: exit SIGSEGV\nSegmentation fault', 'says how it ended, then its stderr');
});

t.test('a helper the kernel lacks is the program\'s limit, named, with the verifier log', async (t) => {
  // What Debian's 5.10 verifier printed for bpf_xdp_load_bytes (helper 189, added in 5.18).
  const stderr = 'libbpf: prog \'xdp_flows\': BPF program load failed: Invalid argument\n0: (bf) r6 = r1\ninvalid func unknown#189';
  const e = serverFailure('raw', 'xdp_flows', 'before ready', error('load', 'bpf_object__load(x.o) failed: EINVAL', 'bpf_object__load(x.o)', 22), 'exit 1', stderr);
  t.equal(e.code, EXIT.bpfLoad, 'a load failure, not "unsupported on this kernel"');
  t.match(e.message, /^the program xdp_flows calls bpf_xdp_load_bytes\(\) \(#189\), which this kernel does not have: a limit of the program, not of its hook\n/);
  t.match(e.message, /invalid func unknown#189$/, 'the verifier\'s own words follow');
  const notAllowed = serverFailure('raw', 'p', 'before ready', error('load', 'failed'), 'exit 1', 'unknown func bpf_probe_read_kernel#113');
  t.match(notAllowed.message, /calls bpf_probe_read_kernel\(\) \(#113\), which this kernel does not allow in its program type/);
  const elsewhere = serverFailure('raw', 'p', 'before ready', error('attach', 'failed'), 'exit 1', 'invalid func unknown#189');
  t.notMatch(elsewhere.message, /calls/, 'only a load failure is read as a helper problem');
});
