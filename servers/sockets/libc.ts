// The few libc calls the servers need, bound with koffi; every failure becomes a SysError naming the call.
import koffi from 'koffi';
import { constants } from 'node:os';
import { isIPv6 } from 'node:net';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';

const libc = koffi.load('libc.so.6');

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
/** Not inherited by the processes the harness starts while a server thread's socket is open (they would
 *  keep it open after the server closes it: no FIN until they exit). */
const SOCK_CLOEXEC = 0o2000000;
export const ETH_P_ALL = 0x0003;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_DETACH_BPF = 27;
const SO_ATTACH_FILTER = 26;
const SO_ATTACH_BPF = 50;
const POLLIN = 0x1;
const EAGAIN = constants.errno.EAGAIN;
const EINTR = constants.errno.EINTR;

const errnoNames = new Map(Object.entries(constants.errno).map(([name, code]) => [code, name]));

/** A failed system call: keeps the errno so callers can tell EPERM from ENOENT. */
export class SysError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed: ${errnoNames.get(errno) ?? `errno ${errno}`} (${strerror(errno)})`);
  }
}

const strerror = libc.func('const char *strerror(int errnum)');
const socket_ = libc.func('int socket(int domain, int type, int protocol)');
const setsockopt_ = libc.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)');
const bind_ = libc.func('int bind(int fd, void *addr, uint32_t len)');
const listen_ = libc.func('int listen(int fd, int backlog)');
const accept4_ = libc.func('int accept4(int fd, void *addr, void *len, int flags)');
const recvfrom_ = libc.func('intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *addrlen)');
const sendto_ = libc.func('intptr_t sendto(int fd, void *buf, size_t len, int flags, void *addr, uint32_t addrlen)');
const if_nametoindex_ = libc.func('uint32_t if_nametoindex(const char *name)');
const read_ = libc.func('intptr_t read(int fd, void *buf, size_t len)');
const close_ = libc.func('int close(int fd)');
const poll_ = libc.func('int poll(void *fds, uint64_t nfds, int timeout)');
const pipe2_ = libc.func('int pipe2(_Out_ int *fds, int flags)');
const setns_ = libc.func('int setns(int fd, int nstype)');

/** Runs a call that returns -1 and sets errno on failure; errno must be read before anything else runs. */
function check<T extends number | bigint>(call: string, result: T): T {
  if (result < 0) throw new SysError(call, koffi.errno());
  return result;
}

export function socket(domain: number, type: number, protocol: number): number {
  return check('socket()', socket_(domain, type | SOCK_CLOEXEC, protocol));
}

function setIntOption(fd: number, name: number, value: number, what: string): void {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  check(`setsockopt(${what})`, setsockopt_(fd, SOL_SOCKET, name, buf, 4));
}

export function reuseAddress(fd: number): void {
  setIntOption(fd, SO_REUSEADDR, 1, 'SO_REUSEADDR');
}

export function attachBpf(fd: number, progFd: number): void {
  setIntOption(fd, SO_ATTACH_BPF, progFd, 'SO_ATTACH_BPF');
}

/** SO_ATTACH_FILTER with a struct sock_fprog { u16 len; struct sock_filter *filter; } built by hand; the
 *  kernel copies the instructions during the call. */
export function attachClassicFilter(fd: number, insns: Buffer): void {
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(insns.length / 8, 0);
  fprog.writeBigUInt64LE(koffi.address(insns), 8);
  check('setsockopt(SO_ATTACH_FILTER)', setsockopt_(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, fprog.length));
}

/** Removes a socket's filter, eBPF or classic (SO_DETACH_FILTER and SO_DETACH_BPF are one option). */
export function detachBpf(fd: number): void {
  setIntOption(fd, SO_DETACH_BPF, 0, 'SO_DETACH_BPF');
}

/** struct sockaddr_in / sockaddr_in6, built by hand: the layout is fixed by the ABI. */
function sockaddr(address: string, port: number): Buffer {
  if (isIPv6(address)) {
    const buf = Buffer.alloc(28);
    buf.writeUInt16LE(AF_INET6, 0);
    buf.writeUInt16BE(port, 2);
    ipv6Bytes(address).copy(buf, 8);
    return buf;
  }
  const buf = Buffer.alloc(16);
  buf.writeUInt16LE(AF_INET, 0);
  buf.writeUInt16BE(port, 2);
  Buffer.from(address.split('.').map(Number)).copy(buf, 4);
  return buf;
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const buf = Buffer.alloc(16);
  all.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf;
}

export function bind(fd: number, address: string, port: number): void {
  bindTo(fd, sockaddr(address, port), `${address}:${port}`);
}

export function bindTo(fd: number, addr: Buffer, what: string): void {
  check(`bind(${what})`, bind_(fd, addr, addr.length));
}

export function listen(fd: number, backlog = 16): void {
  check('listen()', listen_(fd, backlog));
}

/** Accepts one pending connection, or returns null when none is pending (non-blocking socket). */
export function accept(fd: number): number | null {
  const conn = accept4_(fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (conn < 0) {
    const errno = koffi.errno();
    if (errno === EAGAIN || errno === EINTR) return null;
    throw new SysError('accept4()', errno);
  }
  return conn;
}

export interface Received {
  bytes: Uint8Array;
  /** The sender's address as the kernel wrote it (for AF_PACKET: struct sockaddr_ll). */
  from: Buffer;
}

/** One recvfrom(): the bytes (empty at end of stream, or for an empty datagram), or null when nothing
 *  is queued. */
export function recvfrom(fd: number, buf: Buffer): Received | null {
  const from = Buffer.alloc(128);
  const fromLen = Buffer.alloc(4);
  fromLen.writeUInt32LE(from.length);
  const n = Number(recvfrom_(fd, buf, buf.length, 0, from, fromLen));
  if (n < 0) {
    const errno = koffi.errno();
    if (errno === EAGAIN || errno === EINTR) return null;
    throw new SysError('recvfrom()', errno);
  }
  return { bytes: Uint8Array.from(buf.subarray(0, n)), from: from.subarray(0, fromLen.readUInt32LE()) };
}

export function sendto(fd: number, data: Uint8Array, address: string): void {
  const addr = sockaddr(address, 0);
  check(`sendto(${address})`, sendto_(fd, data, data.length, 0, addr, addr.length));
}

export function ifIndex(name: string): number {
  const index = if_nametoindex_(name) as number;
  if (index === 0) throw new SysError(`if_nametoindex(${name})`, koffi.errno());
  return index;
}

/** struct sockaddr_ll for bind(): packets of `protocol` (host order) on one interface. */
export function sockaddrLl(protocol: number, ifindex: number): Buffer {
  const buf = Buffer.alloc(20);
  buf.writeUInt16LE(AF_PACKET, 0);
  buf.writeUInt16BE(protocol, 2);
  buf.writeInt32LE(ifindex, 4);
  return buf;
}

/** read() from a pipe: the number of bytes, 0 at end of file. */
export function read(fd: number, buf: Buffer): number {
  return Number(check('read()', read_(fd, buf, buf.length)));
}

export function close(fd: number): void {
  check('close()', close_(fd));
}

/** poll() on several fds for POLLIN; returns the fds that are ready (readable, hung up or in error). */
export function pollReadable(fds: number[], timeoutMs: number): number[] {
  const buf = Buffer.alloc(8 * fds.length);
  fds.forEach((fd, i) => {
    buf.writeInt32LE(fd, i * 8);
    buf.writeInt16LE(POLLIN, i * 8 + 4);
  });
  const n = poll_(buf, fds.length, timeoutMs);
  if (n < 0) {
    const errno = koffi.errno();
    if (errno === EINTR) return [];
    throw new SysError('poll()', errno);
  }
  return fds.filter((_, i) => buf.readInt16LE(i * 8 + 6) !== 0);
}

const O_CLOEXEC = 0o2000000;
const CLONE_NEWNET = 0x40000000;

/** A pipe: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = [0, 0];
  check('pipe2()', pipe2_(fds, O_CLOEXEC));
  return [fds[0], fds[1]];
}

function setNetworkNamespace(fd: number, what: string): void {
  check(`setns(${what})`, setns_(fd, CLONE_NEWNET));
}

/** Runs `work` with the calling thread (only it: namespaces are per thread) in the network namespace at
 *  `path`, then moves it back where it was. Sockets created meanwhile live there for their whole life. */
export function inNetworkNamespace<T>(path: string, work: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', fsConstants.O_RDONLY); // node opens files close-on-exec
  try {
    const target = openSync(path, fsConstants.O_RDONLY);
    try {
      setNetworkNamespace(target, path);
    } finally {
      closeSync(target);
    }
    try {
      return work();
    } finally {
      setNetworkNamespace(home, 'back');
    }
  } finally {
    closeSync(home);
  }
}
