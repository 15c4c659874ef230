// A private tracefs instance that receives bpf_trace_printk lines: its trace_pipe is ours alone, so
// concurrent runs and other trace_pipe readers cannot steal our lines (strangers' prints still arrive).
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmdirSync, writeFileSync, constants } from 'node:fs';
import { join } from 'node:path';
import { interrupted, onCleanup } from '../../support/cleanup.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { kernelFs } from '../../support/kernel-fs.ts';
import { ownedName } from '../../support/owned-names.ts';

export interface TracePipe {
  /** Everything read from the pipe since it was opened, after reading what is there now; never blocks. */
  readAll(): string;
  close(): Promise<void>;
}

export async function openTracePipe(label: string): Promise<TracePipe> {
  const root = await kernelFs('tracefs', 'run as root on a kernel with CONFIG_TRACING, or use --channel ringbuf');
  // Nothing new under the mount once the cleanup has begun: it may be unmounting it.
  if (interrupted()) throw new HarnessError(EXIT.interrupted, 'interrupted');
  const instance = join(root, 'instances', ownedName(label));
  mkdirSync(instance);
  const removeInstance = onCleanup(`tracefs instance ${instance}`, () => rmdirSync(instance));
  const event = join(instance, 'events', 'bpf_trace', 'bpf_trace_printk', 'enable');
  if (!existsSync(event)) {
    await removeInstance();
    // The harness's way of reading trace_pipe (a private instance) needs the event; the system-wide trace_pipe
    // would do without it, so this is the harness's limit, not "unsupported on this kernel".
    throw new HarnessError(
      EXIT.runFailed,
      'this kernel has no bpf_trace/bpf_trace_printk trace event, which the harness needs to read bpf_trace_printk ' +
        'lines from a private tracefs instance: use --channel ringbuf',
    );
  }
  writeFileSync(event, '1');
  const fd = openSync(join(instance, 'trace_pipe'), constants.O_RDONLY | constants.O_NONBLOCK);
  const closeFd = onCleanup('trace_pipe fd', () => closeSync(fd));
  const buf = Buffer.alloc(1 << 16);
  const chunks: Buffer[] = [];
  return {
    readAll() {
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw error;
        }
        if (n === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    async close() {
      await closeFd();
      await removeInstance();
    },
  };
}
