// Run statuses: how each reads in the matrices, and the exit code of a run of several experiments.
import t from 'tap';
import { exitCode, ran, statusLine, type RunStatus } from '../../../scripts/vocabulary/run-status.ts';
import { EXIT } from '../../../scripts/vocabulary/exit-codes.ts';

const ok: RunStatus = { kind: 'ok' };
const fallback: RunStatus = { kind: 'fallback', hook: 'tracepoint', reason: 'kprobes are not available' };
const unsupported: RunStatus = { kind: 'unsupported', reason: 'no tcx', missing: 'BPF_TCX_INGRESS', since: '6.6' };
const failedCheck: RunStatus = { kind: 'failed', reason: 'cross-check failed: counts', exit_code: EXIT.runFailed };
const failedLoad: RunStatus = { kind: 'failed', reason: 'verifier', exit_code: EXIT.bpfLoad };

t.test('status lines', async (t) => {
  t.equal(statusLine(ok), 'ok');
  t.equal(statusLine(fallback), 'ok, via the tracepoint fallback');
  t.equal(statusLine(unsupported), 'unsupported on this kernel: no tcx (added in Linux 6.6)');
  t.equal(statusLine(failedCheck), 'failed: cross-check failed: counts');
  t.same([ok, fallback, unsupported, failedCheck].map(ran), [true, true, false, false]);
});

t.test('exit codes: a failure wins, unsupported counts only when named', async (t) => {
  t.equal(exitCode([ok, fallback], false), EXIT.ok);
  t.equal(exitCode([ok, unsupported], false), EXIT.unsupported, 'named on the command line: an error');
  t.equal(exitCode([ok, unsupported], true), EXIT.ok, 'within all: a finding the matrix shows');
  t.equal(exitCode([unsupported, failedCheck, failedLoad], true), EXIT.runFailed, 'the first failure\'s own code');
  t.equal(exitCode([failedLoad], false), EXIT.bpfLoad);
});
