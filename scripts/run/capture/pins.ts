// Pinned maps: a bpffs folder per run, emptied and removed on cleanup; bpftool reads pins back.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { onCleanup } from '../../support/cleanup.ts';
import { kernelFs } from '../../support/kernel-fs.ts';
import { ownedName } from '../../support/owned-names.ts';
import type { MapEntry } from '../../vocabulary/observations.ts';

/** Pin paths for these maps, in a folder of our own under bpffs. */
export async function pinPaths(label: string, maps: string[]): Promise<Record<string, string>> {
  const root = await kernelFs('bpf', 'pinning maps needs bpffs (CONFIG_BPF_SYSCALL)');
  const dir = join(root, ownedName(label));
  mkdirSync(dir);
  onCleanup(`pinned maps in ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return Object.fromEntries(maps.map((m) => [m, join(dir, m)]));
}

/** `bpftool map dump pinned PATH`, as entries with hex keys like the server reports them. */
export async function bpftoolDump(map: string, path: string): Promise<MapEntry[]> {
  const { stdout } = await execa('bpftool', ['--json', 'map', 'dump', 'pinned', path]);
  const rows = JSON.parse(stdout) as { key: string[]; value: string[] }[];
  const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));
  return rows.map((r) => ({ map, key: bytes(r.key).toString('hex'), value: Number(bytes(r.value).readBigUInt64LE()) }));
}
