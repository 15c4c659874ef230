// The traffic experiments share: the study's three exchanges and an SCTP INIT sent from a raw socket, and
// how a traffic step reads once the server's address is known.
import { PORT, SERVER, type Traffic } from './spec.ts';

const INPUT = '0123456789\n';

/** `echo 0123456789 | ncat SERVER 16962`: handshake, data, FIN (the study's tcp). */
export const TCP_EXCHANGE: Traffic = { command: ['ncat', SERVER, String(PORT)], input: INPUT };

/** A connection attempt to a port nobody listens on (the study's raw). */
export const TCP_TO_CLOSED_PORT: Traffic = {
  command: ['ncat', SERVER, String(PORT)],
  input: INPUT,
  expectFailure: true,
  note: 'no listener: SYN, then the kernel answers RST|ACK',
};

/** One datagram (the study's udp); --send-only makes ncat exit after sending. */
export const UDP_DATAGRAM: Traffic = { command: ['ncat', '-u', '--send-only', SERVER, String(PORT)], input: INPUT };

/** Sends, then closes without waiting for the server (which never answers this data). */
export const TCP_SEND_ONLY: Traffic = { command: ['ncat', '--send-only', SERVER, String(PORT)], input: INPUT };

/** A SYN that gets no answer: ncat gives up after 500 ms, before the first retransmission (1 s). */
export const TCP_UNANSWERED: Traffic = {
  command: ['ncat', '--wait', '500ms', SERVER, String(PORT)],
  input: INPUT,
  expectFailure: true,
  note: 'connect times out after 500 ms, before the SYN is retransmitted',
};

/** One SCTP INIT chunk from a raw IP socket: this kernel needs no SCTP support for it. */
export const SCTP_INIT: Traffic = { command: ['scripts/send-sctp.ts', SERVER, String(PORT)], input: '' };

/** The command with the server's address filled in. */
export function withAddress(traffic: Traffic, serverAddress: string): string[] {
  return traffic.command.map((word) => (word === SERVER ? serverAddress : word));
}

/** As a shell line, for reports: "echo 0123456789 | ncat 127.0.0.1 16962". */
export function trafficLine(traffic: Traffic, serverAddress: string): string {
  const command = withAddress(traffic, serverAddress);
  const shown = command[0].endsWith('.ts') ? ['tsx', ...command] : command;
  const input = traffic.input === '' ? '' : `echo ${traffic.input.replace(/\n$/, '')} | `;
  const line = `${input}${shown.join(' ')}`;
  return traffic.note ? `${line}   (${traffic.note})` : line;
}
