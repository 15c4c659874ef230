// Debian packages the VM runner and the kernel build need on the host, installed on first use with apt-get;
// quiet when they are there.
import { execa } from 'execa';
import { EXIT, HarnessError } from '../support/errors.ts';

/** Installs whichever of `packages` dpkg does not list as installed; `label` prefixes the progress line. */
export async function ensureHostPackages(packages: readonly string[], label: string, log: (line: string) => void): Promise<void> {
  const { stdout } = await execa('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\\n', ...packages], { reject: false });
  const installed = new Set(stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = packages.filter((p) => !installed.has(p));
  if (missing.length === 0) return;
  log(`${label} installing ${missing.join(', ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const update = await execa('apt-get', ['update', '-qq'], { reject: false, env });
  const install = update.exitCode === 0 ? await execa('apt-get', ['install', '-y', '-qq', ...missing], { reject: false, env }) : update;
  if (install.exitCode !== 0) {
    throw new HarnessError(EXIT.missingTool, `could not install ${missing.join(', ')}: ${install.stderr.trim()} — check the apt sources and the network`);
  }
}
