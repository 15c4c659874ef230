// No socket of its own: the program sits on a hook (tc, XDP) and this server only counts its ring-buffer
// records or perf samples (config.countOnly), so a flood costs no JSON line per packet. Used by the fidelity benchmark.
import { serveAsProcess, type ServerSetup } from './sockets/session.ts';

export const count: ServerSetup = () => {};

serveAsProcess(count);
