// Sends an experiment's traffic from the client's namespace.
import { execa } from 'execa';
import { onCleanup } from '../../support/cleanup.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { ROOT, projectScript } from '../../support/paths.ts';
import { SERVER, type Traffic } from '../../../experiments/spec.ts';

/** The command with the server's address filled in. */
function withAddress(traffic: Traffic, serverAddress: string): string[] {
  return traffic.command.map((word) => (word === SERVER ? serverAddress : word));
}

/** What to execute: a project script (scripts/*.ts) runs with node, bundled or through tsx. */
function executable(traffic: Traffic, serverAddress: string): string[] {
  const [first, ...rest] = withAddress(traffic, serverAddress);
  return first.endsWith('.ts') ? [...projectScript(first.replace(/\.ts$/, '')), ...rest] : [first, ...rest];
}

/** As a shell line, for reports: "echo 0123456789 | ncat 127.0.0.1 16962". */
export function trafficLine(traffic: Traffic, serverAddress: string): string {
  const command = withAddress(traffic, serverAddress);
  const shown = command[0].endsWith('.ts') ? ['tsx', ...command] : command;
  const input = traffic.input === '' ? '' : `echo ${traffic.input.replace(/\n$/, '')} | `;
  const line = `${input}${shown.join(' ')}`;
  return traffic.note ? `${line}   (${traffic.note})` : line;
}

export async function sendTraffic(nsExec: string[], traffic: Traffic, serverAddress: string, timeoutMs: number): Promise<void> {
  const [cmd, ...prefix] = nsExec;
  const child = execa(cmd, [...prefix, ...executable(traffic, serverAddress)], {
    cwd: ROOT,
    input: traffic.input,
    reject: false,
    timeout: timeoutMs,
  });
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
