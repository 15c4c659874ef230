// A private tracefs instance that receives bpf_trace_printk lines: its trace_pipe is ours alone, so
// concurrent runs and other trace_pipe readers cannot steal our lines (strangers' prints still arrive).
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmdirSync, writeFileSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { onCleanup } from './cleanup.ts';
import { EXIT, HarnessError } from './errors.ts';
import { NAME_PREFIX } from './netns.ts';

const SYSTEM_TRACEFS = '/sys/kernel/tracing';

export interface TracePipe {
  /** Everything in the pipe now; never blocks. */
  readAvailable(): string;
  close(): Promise<void>;
}

/** The tracefs mount to use: the system's, or a private mount of our own (removed on cleanup). */
async function tracefsRoot(): Promise<string> {
  if (existsSync(join(SYSTEM_TRACEFS, 'instances'))) return SYSTEM_TRACEFS;
  const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-${process.pid}-tracefs-`));
  const mounted = await execa('mount', ['-t', 'tracefs', 'nodev', dir], { reject: false });
  if (mounted.exitCode !== 0) {
    rmdirSync(dir);
    throw new HarnessError(
      EXIT.unsupported,
      `tracefs is not mounted and mounting it failed: ${mounted.stderr.trim()} — run as root on a kernel with CONFIG_TRACING, or use --channel ringbuf`,
    );
  }
  onCleanup(`tracefs mount ${dir}`, async () => {
    await execa('umount', [dir]);
    rmdirSync(dir);
  });
  return dir;
}

export async function openTracePipe(label: string): Promise<TracePipe> {
  const root = await tracefsRoot();
  const instance = join(root, 'instances', `${NAME_PREFIX}-${process.pid}-${label}`);
  mkdirSync(instance);
  const removeInstance = onCleanup(`tracefs instance ${instance}`, () => rmdirSync(instance));
  const event = join(instance, 'events', 'bpf_trace', 'bpf_trace_printk', 'enable');
  if (!existsSync(event)) {
    await removeInstance();
    throw new HarnessError(EXIT.unsupported, 'this kernel has no bpf_trace_printk trace event (needs Linux 5.9 or later): use --channel ringbuf');
  }
  writeFileSync(event, '1');
  const fd = openSync(join(instance, 'trace_pipe'), constants.O_RDONLY | constants.O_NONBLOCK);
  const closeFd = onCleanup('trace_pipe fd', () => closeSync(fd));
  const buf = Buffer.alloc(1 << 16);
  return {
    readAvailable() {
      const chunks: Buffer[] = [];
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
