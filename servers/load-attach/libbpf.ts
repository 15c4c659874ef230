// libbpf 1.x through koffi: open and load an object, find its programs and maps, read ring and perf buffers.
import koffi from 'koffi';
import { readFileSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { SysError } from '../sockets/libc.ts';
import { CHANNEL_SWITCHES } from '../../scripts/vocabulary/record-layout.ts';

const EEXIST = constants.errno.EEXIST;

const libbpf = koffi.load('libbpf.so.1');

const open_file = libbpf.func('void *bpf_object__open_file(const char *path, void *opts)');
const load = libbpf.func('int bpf_object__load(void *obj)');
const close = libbpf.func('void bpf_object__close(void *obj)');
const find_program = libbpf.func('void *bpf_object__find_program_by_name(void *obj, const char *name)');
const next_program = libbpf.func('void *bpf_object__next_program(void *obj, void *prev)');
const program_name = libbpf.func('const char *bpf_program__name(void *prog)');
const set_autoload = libbpf.func('int bpf_program__set_autoload(void *prog, bool autoload)');
const initial_value = libbpf.func('void *bpf_map__initial_value(void *map, _Out_ size_t *psize)');
const program_fd = libbpf.func('int bpf_program__fd(void *prog)');
const find_map = libbpf.func('void *bpf_object__find_map_by_name(void *obj, const char *name)');
const map_fd = libbpf.func('int bpf_map__fd(void *map)');
const map_update = libbpf.func('int bpf_map_update_elem(int fd, void *key, void *value, uint64_t flags)');
const map_lookup = libbpf.func('int bpf_map_lookup_elem(int fd, void *key, void *value)');
const attach = libbpf.func('void *bpf_program__attach(void *prog)');
const attach_xdp = libbpf.func('void *bpf_program__attach_xdp(void *prog, int ifindex)');
const attach_cgroup = libbpf.func('void *bpf_program__attach_cgroup(void *prog, int cgroup_fd)');
const link_destroy = libbpf.func('int bpf_link__destroy(void *link)');
const link_detach = libbpf.func('int bpf_link__detach(void *link)');
const tc_hook_create = libbpf.func('int bpf_tc_hook_create(void *hook)');
const tc_hook_destroy = libbpf.func('int bpf_tc_hook_destroy(void *hook)');
const tc_attach = libbpf.func('int bpf_tc_attach(void *hook, void *opts)');
const map_pin = libbpf.func('int bpf_map__pin(void *map, const char *path)');
const map_next_key = libbpf.func('int bpf_map_get_next_key(int fd, void *key, void *next_key)');
const prog_test_run = libbpf.func('int bpf_prog_test_run_opts(int prog_fd, void *opts)');
const SampleFn = koffi.proto('int ring_buffer_sample_fn(void *ctx, void *data, size_t size)');
const ring_new = libbpf.func('void *ring_buffer__new(int map_fd, ring_buffer_sample_fn *cb, void *ctx, void *opts)');
const ring_consume = libbpf.func('int ring_buffer__consume(void *rb)');
const ring_epoll_fd = libbpf.func('int ring_buffer__epoll_fd(void *rb)');
const ring_free = libbpf.func('void ring_buffer__free(void *rb)');
const PerfSampleFn = koffi.proto('void perf_buffer_sample_fn(void *ctx, int cpu, void *data, uint32_t size)');
const PerfLostFn = koffi.proto('void perf_buffer_lost_fn(void *ctx, int cpu, uint64_t cnt)');
const perf_new = libbpf.func(
  'void *perf_buffer__new(int map_fd, size_t page_cnt, perf_buffer_sample_fn *sample_cb, perf_buffer_lost_fn *lost_cb, void *ctx, void *opts)',
);
const perf_consume = libbpf.func('int perf_buffer__consume(void *pb)');
const perf_epoll_fd = libbpf.func('int perf_buffer__epoll_fd(void *pb)');
const perf_free = libbpf.func('void perf_buffer__free(void *pb)');
const version_string = libbpf.func('const char *libbpf_version_string(void)');
const set_log_buf = libbpf.func('int bpf_program__set_log_buf(void *prog, void *buf, size_t size)');
const set_print = libbpf.func('void *libbpf_set_print(void *fn)');

// libbpf would print to the process's stderr, which a server thread shares with the harness: the
// verifier's log is captured per program instead (VERIFIER_LOG) and travels in the server's error message.
set_print(null);

/** Large enough for any verifier log of our programs: before 6.4 a full buffer turns the real error into ENOSPC.
 *  One per thread, made on the first load and reused: zeroing 16 MiB per experiment costs under TCG. */
const VERIFIER_LOG_BYTES = 16 << 20;
let verifierLog: Buffer | null = null;
/** How much of the log's end an error message carries: where the verifier says what it rejected. */
const VERIFIER_EXCERPT_LINES = 40;

/** A program the kernel refused, with the end of the verifier's log. */
export class LoadError extends SysError {
  constructor(
    call: string,
    errno: number,
    readonly verifierLog: string,
  ) {
    super(call, errno);
  }
}

type Pointer = bigint | null;

/** A loaded BPF object; libbpf prints the verifier log to stderr when a program fails to load. */
export class BpfObject {
  private constructor(private obj: Pointer) {}

  /** Loads only `program` of the object: each program costs a verifier pass (tens of ms for the dumps).
   *  With `channel`, bpf/dump.h's switches of the other channels (with_trace_pipe, with_perf) are set to 0
   *  first, so their code is not verified; without, every channel's code is. */
  static load(path: string, program: string, opts: { channel?: string } = {}): BpfObject {
    const obj = open_file(path, null) as Pointer;
    if (!obj) throw new SysError(`bpf_object__open_file(${path})`, koffi.errno());
    const switches = find_map(obj, CHANNEL_SWITCHES.section) as Pointer;
    if (switches && opts.channel !== undefined) {
      const vars = Object.entries(CHANNEL_SWITCHES.variables);
      const bytes = new Uint8Array(koffi.view(initial_value(switches, [0]), Math.max(...vars.map(([, v]) => v.offset + v.size))));
      for (const [channel, v] of vars) bytes[v.offset] = channel === opts.channel ? 1 : 0;
    }
    let found = false;
    const log = (verifierLog ??= Buffer.alloc(VERIFIER_LOG_BYTES));
    log[0] = 0; // the kernel writes the log NUL-terminated; nothing from an earlier load may show through
    for (let p = next_program(obj, null) as Pointer; p; p = next_program(obj, p) as Pointer) {
      const wanted = program_name(p) === program;
      found ||= wanted;
      set_autoload(p, wanted);
      if (wanted) set_log_buf(p, log, log.length);
    }
    if (!found) {
      close(obj);
      throw new Error(`BPF object ${path} has no program named "${program}"`);
    }
    const err = load(obj) as number;
    if (err < 0) {
      close(obj);
      const end = log.indexOf(0);
      const text = log.subarray(0, end < 0 ? log.length : end).toString('utf8').trimEnd();
      throw new LoadError(`bpf_object__load(${path})`, -err, text.split('\n').slice(-VERIFIER_EXCERPT_LINES).join('\n'));
    }
    return new BpfObject(obj);
  }

  private program(name: string): Pointer {
    const prog = find_program(this.obj, name) as Pointer;
    if (!prog) throw new Error(`BPF object has no program named "${name}"`);
    return prog;
  }

  programFd(name: string): number {
    return program_fd(this.program(name)) as number;
  }

  private map(name: string): Pointer {
    return find_map(this.obj, name) as Pointer;
  }

  hasMap(name: string): boolean {
    return this.map(name) !== null;
  }

  mapFd(name: string): number {
    const map = this.map(name);
    if (!map) throw new Error(`BPF object has no map named "${name}"`);
    return map_fd(map) as number;
  }

  /** Pins a map at `path` in bpffs; the pin outlives this process until someone removes it. */
  pinMap(name: string, path: string): void {
    const err = map_pin(this.map(name), path) as number;
    if (err < 0) throw new SysError(`bpf_map__pin(${name}, ${path})`, -err);
  }

  /** Attaches through a bpf_link: XDP on an interface, cgroup_skb on a cgroup, or where the program's
   *  section says (kprobe/…, tp_btf/…); returns the detach. */
  attachLink(name: string, target: { xdpIfindex: number } | { cgroupFd: number } | 'by-section'): () => void {
    const prog = this.program(name);
    const link = (
      target === 'by-section'
        ? attach(prog)
        : 'xdpIfindex' in target
          ? attach_xdp(prog, target.xdpIfindex)
          : attach_cgroup(prog, target.cgroupFd)
    ) as Pointer;
    if (!link) throw new SysError(`attaching ${name}`, koffi.errno());
    // Detach explicitly (BPF_LINK_DETACH) before closing: closing detaches only when the last reference
    // goes, and a process the harness is starting holds a copy of every fd until it execs. Kernels or
    // link types without BPF_LINK_DETACH refuse it; closing then detaches as before.
    return () => {
      link_detach(link);
      link_destroy(link);
    };
  }

  /** Attaches to tc clsact ingress or egress (creating the clsact qdisc); returns the detach. */
  attachTc(name: string, ifindex: number, direction: 'ingress' | 'egress'): () => void {
    // struct bpf_tc_hook { size_t sz; int ifindex; enum attach_point; __u32 parent; } = 24 bytes.
    const hook = Buffer.alloc(24);
    hook.writeBigUInt64LE(24n, 0);
    hook.writeInt32LE(ifindex, 8);
    hook.writeUInt32LE(direction === 'ingress' ? 1 : 2, 12); // BPF_TC_INGRESS, BPF_TC_EGRESS
    let err = tc_hook_create(hook) as number;
    if (err < 0 && err !== -EEXIST) throw new SysError('bpf_tc_hook_create()', -err);
    // struct bpf_tc_opts { size_t sz; int prog_fd; __u32 flags, prog_id, handle, priority; } = 32 bytes.
    const opts = Buffer.alloc(32);
    opts.writeBigUInt64LE(32n, 0);
    opts.writeInt32LE(this.programFd(name), 8);
    err = tc_attach(hook, opts) as number;
    if (err < 0) throw new SysError(`bpf_tc_attach(${direction})`, -err);
    // Destroying the hook removes the clsact qdisc with every filter on it: ours alone, in our namespace.
    hook.writeUInt32LE(3, 12); // BPF_TC_INGRESS | BPF_TC_EGRESS
    return () => void tc_hook_destroy(hook);
  }

  close(): void {
    if (this.obj) close(this.obj);
    this.obj = null;
  }
}

export function mapUpdate(fd: number, key: Buffer, value: Buffer): void {
  const err = map_update(fd, key, value, 0) as number;
  if (err < 0) throw new SysError('bpf_map_update_elem()', -err);
}

export function mapLookup(fd: number, key: Buffer, valueSize: number): Buffer {
  const value = Buffer.alloc(valueSize);
  const err = map_lookup(fd, key, value) as number;
  if (err < 0) throw new SysError('bpf_map_lookup_elem()', -err);
  return value;
}

/** Every key of a hash map (bpf_map_get_next_key from NULL until ENOENT). */
export function mapKeys(fd: number, keySize: number): Buffer[] {
  const keys: Buffer[] = [];
  let prev: Buffer | null = null;
  for (;;) {
    const next = Buffer.alloc(keySize);
    if ((map_next_key(fd, prev, next) as number) < 0) return keys;
    keys.push(next);
    prev = next;
  }
}

/** Runs a program `repeat` times on `data` in the kernel (BPF_PROG_TEST_RUN); the mean time per run. */
export function testRun(progFd: number, data: Buffer, repeat: number): { retval: number; durationNs: number } {
  const input = koffi.alloc('uint8_t', data.length);
  try {
    koffi.encode(input, koffi.array('uint8_t', data.length), Array.from(data));
    // struct bpf_test_run_opts (libbpf 1.1): sz, data_in, data_out, data_size_in, data_size_out, ctx_in,
    // ctx_out, ctx_size_in, ctx_size_out, retval, repeat, duration, flags, cpu, batch_size = 80 bytes.
    const opts = Buffer.alloc(80);
    opts.writeBigUInt64LE(80n, 0);
    opts.writeBigUInt64LE(koffi.address(input), 8);
    opts.writeUInt32LE(data.length, 24);
    opts.writeInt32LE(repeat, 60);
    const err = prog_test_run(progFd, opts) as number;
    if (err < 0) throw new SysError('bpf_prog_test_run_opts()', -err);
    return { retval: opts.readUInt32LE(56), durationNs: opts.readUInt32LE(64) };
  } finally {
    koffi.free(input);
  }
}

/** Where a server reads its program's records from: a ring buffer or a perf buffer. The callback gets a
 *  copy of each record (libbpf's pointer dies after the call); without one they are only counted (floods). */
export interface RecordReader {
  /** The fd to poll for readiness. */
  readonly fd: number;
  /** Delivers every record available now. */
  consume(): void;
  /** Records consumed so far. */
  readonly received: number;
  /** Records the kernel reported dropped to this reader (a perf buffer's lost samples); 0 for a ring buffer,
   *  where only the program knows. */
  readonly lost: number;
  free(): void;
}

type OnRecord = ((record: Buffer) => void) | null;

/** A copy of `size` bytes at a pointer libbpf lends a callback. */
function copyOut(data: bigint, size: number | bigint): Buffer {
  return Buffer.from(koffi.view(data, Number(size)).slice(0));
}

/** A BPF ring buffer (BPF_MAP_TYPE_RINGBUF). */
export class RingBuffer implements RecordReader {
  private rb: Pointer;
  private readonly callback: bigint;
  received = 0;
  readonly lost = 0;

  constructor(mapFd: number, onRecord: OnRecord) {
    this.callback = koffi.register(
      onRecord
        ? (_ctx: unknown, data: bigint, size: number | bigint) => {
            onRecord(copyOut(data, size));
            return 0;
          }
        : () => 0,
      koffi.pointer(SampleFn),
    );
    this.rb = ring_new(mapFd, this.callback, null, null) as Pointer;
    if (!this.rb) {
      const errno = koffi.errno();
      koffi.unregister(this.callback);
      throw new SysError('ring_buffer__new()', errno);
    }
  }

  get fd(): number {
    return ring_epoll_fd(this.rb) as number;
  }

  consume(): void {
    const n = ring_consume(this.rb) as number;
    if (n < 0) throw new SysError('ring_buffer__consume()', -n);
    this.received += n;
  }

  free(): void {
    if (this.rb) {
      ring_free(this.rb);
      koffi.unregister(this.callback);
    }
    this.rb = null;
  }
}

/** Pages per CPU of a perf buffer (a power of two): 1 MiB, about 1,000 samples of a full 1,024-byte capture. */
export const PERF_PAGES_PER_CPU = 256;

/** A perf buffer (BPF_MAP_TYPE_PERF_EVENT_ARRAY): libbpf opens one perf event per CPU, maps its buffer and
 *  stores it in the map. Samples arrive CPU by CPU, not in the order they were sent. */
export class PerfBuffer implements RecordReader {
  private pb: Pointer;
  private readonly callbacks: bigint[];
  received = 0;
  lost = 0;

  constructor(mapFd: number, onRecord: OnRecord, pagesPerCpu = PERF_PAGES_PER_CPU) {
    const sample = koffi.register((_ctx: unknown, _cpu: number, data: bigint, size: number) => {
      this.received++;
      onRecord?.(copyOut(data, size));
    }, koffi.pointer(PerfSampleFn));
    // The kernel writes its count of dropped samples into the buffer before the next sample that fits.
    const lost = koffi.register((_ctx: unknown, _cpu: number, count: number | bigint) => {
      this.lost += Number(count);
    }, koffi.pointer(PerfLostFn));
    this.callbacks = [sample, lost];
    this.pb = perf_new(mapFd, pagesPerCpu, sample, lost, null, null) as Pointer;
    if (!this.pb) {
      const errno = koffi.errno();
      for (const c of this.callbacks) koffi.unregister(c);
      throw new SysError('perf_buffer__new()', errno);
    }
  }

  get fd(): number {
    return perf_epoll_fd(this.pb) as number;
  }

  consume(): void {
    const err = perf_consume(this.pb) as number;
    if (err < 0) throw new SysError('perf_buffer__consume()', -err);
  }

  free(): void {
    if (this.pb) {
      perf_free(this.pb);
      for (const c of this.callbacks) koffi.unregister(c);
    }
    this.pb = null;
  }
}

/** The libbpf the servers load: the file the dynamic linker mapped (libbpf.so.1.1.2 gives the patch level),
 *  else the library's own libbpf_version_string() ("v1.1"). */
export function libbpfVersion(): string {
  const mapped = readFileSync('/proc/self/maps', 'utf8').match(/\/\S*libbpf\.so\S*/)?.[0];
  const fromFile = mapped ? /libbpf\.so\.(\d+\.\d+\.\d+)$/.exec(realpathSync(mapped))?.[1] : undefined;
  return fromFile ?? String(version_string()).replace(/^v/, '');
}
