// The study's conclusion under test with the mechanism tcpdump-style filters use: a classic BPF filter on the
// study's TCP socket that decides by the IPv4 source address, which lies outside its view.
import { ACCEPTED_SOURCE, PORT, REFUSED_SOURCE, SERVER, SOCKET_ON_LOOPBACK, defineExperiment } from './spec.ts';
import { TCP_EXCHANGE } from './traffic.ts';

export default defineExperiment({
  name: 'cbpf-tcp',
  title: 'AF_INET SOCK_STREAM, a classic BPF filter (SO_ATTACH_FILTER) that keeps only packets from 127.0.0.1',
  ...SOCKET_ON_LOOPBACK,
  topologyFixed: 'its filter tells two loopback clients apart by their source addresses, 127.0.0.1 and 127.0.0.2',
  server: { program: 'tcp', observer: true },
  filter: {
    object: 'source-127-0-0-1',
    program: 'classic',
    classic: true,
    noBytes: 'classic BPF cannot record',
    returns: '262144 (keep the packet) where the IPv4 source is 127.0.0.1, else 0 (drop)',
  },
  transport: 'tcp',
  // The refused client first: at the accepted connection's end the server detaches its filters.
  traffic: [
    {
      command: ['ncat', '--wait', '500ms', '--source', REFUSED_SOURCE, SERVER, String(PORT)],
      input: `from ${REFUSED_SOURCE}\n`,
      expectFailure: true,
      note: "from 127.0.0.2: the listener's filter drops the SYN, so connect times out after 500 ms",
    },
    TCP_EXCHANGE,
  ],
  doneWhen: { eof: true, observerReads: 2 },
  checks: ['kept-one-source'],
  explanation:
    'The filter\'s view starts at the TCP header (tcp_filter() runs it with skb->data there), yet its first ' +
    'instruction loads the IPv4 source address: `ld [SKF_NET_OFF + 12]`. The negative offset SKF_NET_OFF ' +
    '(-0x100000) means "from the network header", and the kernel\'s classic BPF has accepted it since the 2.6 ' +
    'series, before the 2017 study (the 2.6-era <linux/filter.h> already defines SKF_NET_OFF and SKF_LL_OFF). ' +
    'The two clients differ only below the filter\'s view, in the IP header: where the server read only ' +
    'the message from 127.0.0.1 while the unfiltered raw socket beside it saw the SYN from 127.0.0.2 arrive (the ' +
    'check below), the filter dropped that SYN by its source address: the decision used the IP header.',
});
