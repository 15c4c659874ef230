// The program a server was given, opened by its kind: an eBPF object or a classic BPF filter.
import { CaptureProgram } from './capture-program.ts';
import { ClassicFilter } from './classic-filter.ts';
import type { SocketProgram } from './socket-program.ts';
import type { ServerConfig, ServerMessage } from '../../scripts/run/server/ipc.ts';

export function openProgram(config: ServerConfig, emit: (message: ServerMessage) => void): SocketProgram {
  return config.classic ? new ClassicFilter(config) : new CaptureProgram(config, emit);
}
