// Not run by hand: the harness's server threads run this (scripts/run/server/server-thread.ts). Each thread
// serves one experiment after another, of any kind, so a thread, its JavaScript and its koffi bindings
// start once per run rather than once per experiment (a node start costs seconds under TCG).
import { parentPort } from 'node:worker_threads';
import { count } from './count.ts';
import { packetDgram } from './packet-dgram.ts';
import { packet } from './packet.ts';
import { raw } from './raw.ts';
import { serveInThread } from './sockets/thread-host.ts';
import { tcp } from './tcp.ts';
import { udp } from './udp.ts';
import type { ServerSetup } from './sockets/session.ts';
import type { ServerThreadJob } from '../scripts/run/server/ipc.ts';

const KINDS: Record<string, ServerSetup> = { tcp, udp, raw, packet, 'packet-dgram': packetDgram, count };

parentPort!.on('message', (job: ServerThreadJob) => serveInThread(job, KINDS[job.kind], (message) => parentPort!.postMessage(message)));
