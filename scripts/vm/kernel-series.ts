// The kernel series `--kernel` accepts, and where Debian publishes each: the suites a private apt reads
// (scripts/vm/apt.ts) and the releases (uname -r) that belong to the series. The lock
// (scripts/vm/kernel-lock.ts) pins one kernel per series; this table says where to look for newer ones.
import type { AptSource } from './apt.ts';

export type KernelSeries = '5.10' | '6.1' | '6.12' | 'newest';
export const KERNEL_SERIES: readonly KernelSeries[] = ['5.10', '6.1', '6.12', 'newest'];

export function isKernelSeries(name: string): name is KernelSeries {
  return (KERNEL_SERIES as readonly string[]).includes(name);
}

const DEBIAN = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';
const BULLSEYE: AptSource[] = [{ uri: DEBIAN, suite: 'bullseye' }, { uri: SECURITY, suite: 'bullseye-security' }];
const BOOKWORM: AptSource[] = [
  { uri: DEBIAN, suite: 'bookworm' }, { uri: DEBIAN, suite: 'bookworm-updates' }, { uri: SECURITY, suite: 'bookworm-security' },
];

// Releases are filtered by prefix: bullseye-security also carries 6.1 (…-0.deb11.N-cloud-amd64)
// and bookworm carries both 6.1.0-N and 6.12.N+deb12. `newest` is sid, which does ship a
// cloud-amd64 image (7.2.13+deb14 when this was written), so no trixie/experimental fallback.
export const SERIES: Record<KernelSeries, { apt: string; sources: AptSource[]; release: RegExp }> = {
  '5.10': { apt: 'bullseye', sources: BULLSEYE, release: /^5\.10\./ },
  '6.1': { apt: 'bookworm', sources: BOOKWORM, release: /^6\.1\./ },
  '6.12': { apt: 'bookworm', sources: BOOKWORM, release: /^6\.12\./ },
  newest: { apt: 'sid', sources: [{ uri: DEBIAN, suite: 'sid' }], release: /./ },
};

/** "bookworm, bookworm-updates, bookworm-security": where a series' kernels are looked up, for messages. */
export function suitesOf(series: KernelSeries): string {
  return SERIES[series].sources.map((s) => s.suite).join(', ');
}
