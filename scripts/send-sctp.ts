// Traffic for xdp-sctp: sends one SCTP INIT chunk from a raw IP socket (protocol 132), so the experiment
// needs no SCTP support in the kernel. Usage: send-sctp.ts <address> <port>
import { AF_INET, AF_INET6, SOCK_RAW, close, sendto, socket } from '../servers/sockets/libc.ts';

const IPPROTO_SCTP = 132;
const SOURCE_PORT = 16963;

/** CRC32c (Castagnoli, reflected), as SCTP's checksum uses it. */
function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Common header (12 B) + INIT chunk (20 B); fixed values, so every run sends the same bytes. */
function sctpInit(destinationPort: number): Buffer {
  const packet = Buffer.alloc(32);
  packet.writeUInt16BE(SOURCE_PORT, 0);
  packet.writeUInt16BE(destinationPort, 2);
  // verification tag 0 (required for INIT), checksum filled in last
  packet.writeUInt8(1, 12); // chunk type INIT
  packet.writeUInt16BE(20, 14); // chunk length
  packet.writeUInt32BE(0x45444c31, 16); // initiate tag "EDL1"
  packet.writeUInt32BE(65536, 20); // a_rwnd
  packet.writeUInt16BE(10, 24); // outbound streams
  packet.writeUInt16BE(10, 26); // inbound streams
  packet.writeUInt32BE(1, 28); // initial TSN
  packet.writeUInt32LE(crc32c(packet), 8); // the CRC goes on the wire least significant byte first
  return packet;
}

const [address, port] = process.argv.slice(2);
if (!address || !port) {
  console.error('usage: send-sctp.ts <address> <port>');
  process.exit(2);
}
const fd = socket(address.includes(':') ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_SCTP);
sendto(fd, sctpInit(Number(port)), address);
close(fd);
