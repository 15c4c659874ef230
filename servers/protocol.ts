// What a server tells the harness: one JSON object per line on stdout. Byte strings are lowercase hex.

export type CaptureChannel = 'ringbuf' | 'trace_pipe';

/** How a server is started (command-line flags, parsed by servers/lib/session.ts). */
export interface ServerConfig {
  /** The compiled BPF object and the program in it to attach. */
  object: string;
  program: string;
  channel: CaptureChannel;
  /** 16-bit run tag that trace_pipe lines carry. */
  tag: number;
  address: string;
  port: number;
  /** What the filter returns: undefined for skb->len, else this fixed value. */
  returnValue?: number;
}

export type ServerMessage =
  /** The filter is attached: traffic may start. */
  | { type: 'ready' }
  /** One recv() that returned data. */
  | { type: 'read'; hex: string }
  /** A stream socket's peer closed; the server detached its filters before closing. */
  | { type: 'eof' }
  /** One ring-buffer record (channel ringbuf only). */
  | { type: 'packet'; seq: number; length: number; hex: string; pktType: number; protocol: number; ifindex: number }
  /** The server stopped: counters read from the filter after it was detached. */
  | { type: 'done'; seen: number; lost: number }
  /** The server failed; stderr has the details (libbpf prints the verifier log there). */
  | { type: 'error'; message: string };
