// The Debian packages a kernel build needs, installed on first use (apt-get, like the VM runner's own tools);
// quiet when they are there.
import { ensureHostPackages } from '../host-packages.ts';

/** gcc and make; flex, bison and bc for Kconfig and the build; libelf-dev for objtool; libssl-dev for the
 *  certificate tools; dwarves for pahole (BTF); dpkg-dev for dpkg-source; patch; xz-utils for the tarballs. */
export const BUILD_PACKAGES = ['gcc', 'make', 'flex', 'bison', 'bc', 'libelf-dev', 'libssl-dev', 'dwarves', 'dpkg-dev', 'patch', 'xz-utils', 'perl'];

export async function ensureBuildTools(log: (line: string) => void): Promise<void> {
  await ensureHostPackages(BUILD_PACKAGES, '[build]', log);
}
