// A sysctl inside a namespace, written from the harness's own thread: it steps into the namespace (/proc/sys/net
// belongs to the namespace of whoever opens it), writes, and steps back, all synchronously. No `sysctl`
// process through nsenter: two process starts each, which cost seconds per run under TCG.
import { writeFileSync } from 'node:fs';
import { inNetworkNamespace } from '../../../servers/sockets/libc.ts';

/** `setting` as sysctl names it ("net.ipv6.conf.srv0.disable_ipv6"). */
export function sysctlIn(netnsPath: string, setting: string, value: string): void {
  inNetworkNamespace(netnsPath, () => writeFileSync(`/proc/sys/${setting.replace(/\./g, '/')}`, value));
}
