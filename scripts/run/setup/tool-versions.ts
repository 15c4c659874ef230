// Versions of the tools a result depends on, for reports (stable between identical runs).
import { execa } from 'execa';
import type { ToolVersions } from '../../vocabulary/observations.ts';


async function output(cmd: string, args: string[]): Promise<string> {
  return (await execa(cmd, args, { reject: false, all: true })).all ?? '';
}

const match = (text: string, pattern: RegExp) => pattern.exec(text)?.[1] ?? 'unknown';

export async function toolVersions(): Promise<ToolVersions> {
  const [clang, ip, bpftool, ncat] = await Promise.all([
    output('clang', ['--version']),
    output('ip', ['-V']),
    output('bpftool', ['version']),
    output('ncat', ['--version']),
  ]);
  return {
    node: process.version,
    clang: match(clang, /clang version (\S+)/),
    // The library the servers load through koffi (iproute2 may link another), read from that library.
    libbpf: (await import('../../../servers/load-attach/libbpf.ts')).libbpfVersion(),
    bpftool: match(bpftool, /bpftool v(\S+)/),
    ncat: match(ncat, /Version (\S+)/),
    iproute2: match(ip, /iproute2-([\w.]+)/),
  };
}
