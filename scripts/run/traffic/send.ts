// Sends an experiment's traffic from the client's namespace.
import { execa } from 'execa';
import { inNetworkNamespace } from '../../../servers/sockets/libc.ts';
import { onCleanup } from '../../support/cleanup.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { ROOT, projectScript } from '../../support/paths.ts';
import type { Traffic } from '../../../experiments/spec.ts';
import { trafficLine, withAddress } from '../../../experiments/traffic.ts';

/** What to execute: a project script (scripts/*.ts) runs with node, bundled or through tsx. */
function executable(traffic: Traffic, serverAddress: string): string[] {
  const [first, ...rest] = withAddress(traffic, serverAddress);
  return first.endsWith('.ts') ? [...projectScript(first.replace(/\.ts$/, '')), ...rest] : [first, ...rest];
}

/** Runs the step inside the client's namespace: the harness's thread steps in while the process is
 *  created (a child starts in its parent thread's namespace), so no nsenter process is needed. */
export async function sendTraffic(netnsPath: string, traffic: Traffic, serverAddress: string, timeoutMs: number): Promise<void> {
  const [cmd, ...args] = executable(traffic, serverAddress);
  const child = inNetworkNamespace(netnsPath, () =>
    execa(cmd, args, {
      cwd: ROOT,
      input: traffic.input,
      reject: false,
      timeout: timeoutMs,
    }),
  );
  const stop = onCleanup(`traffic (pid ${child.pid})`, async () => {
    child.kill('SIGKILL');
    await child;
  });
  const result = await child;
  await stop();
  const shown = trafficLine(traffic, serverAddress);
  if (result.timedOut) throw new HarnessError(EXIT.runFailed, `traffic did not finish within ${timeoutMs} ms: ${shown}`);
  const failed = result.exitCode !== 0;
  if (failed !== Boolean(traffic.expectFailure)) {
    throw new HarnessError(
      EXIT.runFailed,
      `traffic ${failed ? 'failed' : 'succeeded, but was meant to fail'}: ${shown}\n${result.stderr}`.trim(),
    );
  }
}
