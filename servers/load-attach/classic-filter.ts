// A classic BPF filter (bpf/*.cbpf, tcpdump's -dd format) on a socket with SO_ATTACH_FILTER: what
// tcpdump-style filters use. It records nothing, so it reports no packets: its decisions show in the reads.
import { readFileSync } from 'node:fs';
import { attachClassicFilter, detachBpf } from '../sockets/libc.ts';
import { atStage } from './stage.ts';
import type { ServerConfig, ServerMessage } from '../../scripts/run/server/ipc.ts';
import type { SocketProgram } from './socket-program.ts';

/** struct sock_filter: u16 code, u8 jt, u8 jf, u32 k. */
const INSTRUCTION_SIZE = 8;

/** The instructions of a -dd listing as struct sock_filter[]; `#` starts a comment. */
export function parseClassic(text: string, file: string): Buffer {
  const lines = text.split('\n').map((l) => l.replace(/#.*/, '').trim());
  const insns = lines.flatMap((line, i) => {
    if (line === '') return [];
    const m = /^\{\s*(0x[0-9a-f]+|\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(0x[0-9a-f]+|\d+)\s*\},?$/i.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: not a { code, jt, jf, k } instruction: ${line}`);
    const [code, jt, jf, k] = m.slice(1).map(Number);
    if (code > 0xffff || jt > 0xff || jf > 0xff || k > 0xffffffff) throw new Error(`${file}:${i + 1}: a field is out of range: ${line}`);
    const insn = Buffer.alloc(INSTRUCTION_SIZE);
    insn.writeUInt16LE(code, 0);
    insn[2] = jt;
    insn[3] = jf;
    insn.writeUInt32LE(k, 4);
    return [insn];
  });
  if (insns.length === 0) throw new Error(`${file}: no instructions`);
  return Buffer.concat(insns);
}

export class ClassicFilter implements SocketProgram {
  private readonly insns: Buffer;
  private readonly sockets = new Set<number>();
  readonly readyFd = null;

  constructor(config: ServerConfig) {
    this.insns = atStage('load', () => parseClassic(readFileSync(config.object, 'utf8'), config.object));
  }

  attachSocket(socketFd: number): void {
    atStage('attach', () => attachClassicFilter(socketFd, this.insns));
    this.sockets.add(socketFd);
  }

  adopt(socketFd: number): void {
    this.sockets.add(socketFd);
  }

  detachAll(): void {
    for (const fd of this.sockets) detachBpf(fd); // SO_DETACH_FILTER is SO_DETACH_BPF
    this.sockets.clear();
  }

  drain(): void {}

  report(): Extract<ServerMessage, { type: 'done' }> {
    return { type: 'done', seen: 0, lost: 0, received: 0 };
  }

  close(): void {}
}
