// Sends an experiment's traffic from inside its namespace.
import { execa } from 'execa';
import { onCleanup } from './cleanup.ts';
import { EXIT, HarnessError } from './errors.ts';
import type { Traffic } from '../experiments/spec.ts';

export async function sendTraffic(nsExec: string[], traffic: Traffic, timeoutMs: number): Promise<void> {
  const [cmd, ...prefix] = nsExec;
  const child = execa(cmd, [...prefix, ...traffic.command], { input: traffic.input, reject: false, timeout: timeoutMs });
  const stop = onCleanup(`traffic (pid ${child.pid})`, async () => {
    child.kill('SIGKILL');
    await child;
  });
  const result = await child;
  await stop();
  if (result.timedOut) {
    throw new HarnessError(EXIT.runFailed, `traffic did not finish within ${timeoutMs} ms: ${traffic.display}`);
  }
  const failed = result.exitCode !== 0;
  if (failed !== Boolean(traffic.expectFailure)) {
    throw new HarnessError(
      EXIT.runFailed,
      `traffic ${failed ? 'failed' : 'succeeded, but was meant to fail'}: ${traffic.display}\n${result.stderr}`.trim(),
    );
  }
}
