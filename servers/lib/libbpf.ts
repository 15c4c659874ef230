// libbpf 1.x through koffi: open and load an object, find its programs and maps, read ring buffers.
import koffi from 'koffi';
import { SysError } from './libc.ts';

const libbpf = koffi.load('libbpf.so.1');

const open_file = libbpf.func('void *bpf_object__open_file(const char *path, void *opts)');
const load = libbpf.func('int bpf_object__load(void *obj)');
const close = libbpf.func('void bpf_object__close(void *obj)');
const find_program = libbpf.func('void *bpf_object__find_program_by_name(void *obj, const char *name)');
const program_fd = libbpf.func('int bpf_program__fd(void *prog)');
const find_map = libbpf.func('void *bpf_object__find_map_by_name(void *obj, const char *name)');
const map_fd = libbpf.func('int bpf_map__fd(void *map)');
const map_update = libbpf.func('int bpf_map_update_elem(int fd, void *key, void *value, uint64_t flags)');
const map_lookup = libbpf.func('int bpf_map_lookup_elem(int fd, void *key, void *value)');
const SampleFn = koffi.proto('int ring_buffer_sample_fn(void *ctx, void *data, size_t size)');
const ring_new = libbpf.func('void *ring_buffer__new(int map_fd, ring_buffer_sample_fn *cb, void *ctx, void *opts)');
const ring_consume = libbpf.func('int ring_buffer__consume(void *rb)');
const ring_epoll_fd = libbpf.func('int ring_buffer__epoll_fd(void *rb)');
const ring_free = libbpf.func('void ring_buffer__free(void *rb)');

type Pointer = bigint | null;

/** A loaded BPF object; libbpf prints the verifier log to stderr when a program fails to load. */
export class BpfObject {
  private constructor(private obj: Pointer) {}

  static load(path: string): BpfObject {
    const obj = open_file(path, null) as Pointer;
    if (!obj) throw new SysError(`bpf_object__open_file(${path})`, koffi.errno());
    const err = load(obj) as number;
    if (err < 0) {
      close(obj);
      throw new SysError(`bpf_object__load(${path})`, -err);
    }
    return new BpfObject(obj);
  }

  programFd(name: string): number {
    const prog = find_program(this.obj, name) as Pointer;
    if (!prog) throw new Error(`BPF object has no program named "${name}"`);
    return program_fd(prog) as number;
  }

  mapFd(name: string): number {
    const map = find_map(this.obj, name) as Pointer;
    if (!map) throw new Error(`BPF object has no map named "${name}"`);
    return map_fd(map) as number;
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

/** A BPF ring buffer; the callback gets a copy of each record (libbpf's pointer dies after the call). */
export class RingBuffer {
  private rb: Pointer;
  private readonly callback: bigint;

  constructor(mapFd: number, onRecord: (record: Buffer) => void) {
    this.callback = koffi.register((_ctx: unknown, data: bigint, size: number | bigint) => {
      onRecord(Buffer.from(koffi.view(data, Number(size)).slice(0)));
      return 0;
    }, koffi.pointer(SampleFn));
    this.rb = ring_new(mapFd, this.callback, null, null) as Pointer;
    if (!this.rb) {
      const errno = koffi.errno();
      koffi.unregister(this.callback);
      throw new SysError('ring_buffer__new()', errno);
    }
  }

  /** The fd to poll for readiness. */
  get fd(): number {
    return ring_epoll_fd(this.rb) as number;
  }

  /** Delivers every record available now; returns how many. */
  consume(): number {
    const n = ring_consume(this.rb) as number;
    if (n < 0) throw new SysError('ring_buffer__consume()', -n);
    return n;
  }

  free(): void {
    if (this.rb) {
      ring_free(this.rb);
      koffi.unregister(this.callback);
    }
    this.rb = null;
  }
}
