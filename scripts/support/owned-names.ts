// The names of everything a run creates (namespaces, cgroups, tracefs instances, pins, private mounts):
// edl-<pid>-<label>, so a later run can tell whose a leftover is. One scheme, used by every creator and the sweep.

const PREFIX = 'edl';

/** The prefix of every name run `pid` creates: "edl-1234-". */
export function ownedPrefix(pid = process.pid): string {
  return `${PREFIX}-${pid}-`;
}

/** The name this run gives to something it creates: "edl-1234-tcp". */
export function ownedName(label: string): string {
  return `${ownedPrefix()}${label}`;
}

const OWNED = new RegExp(`(?:^|/)${PREFIX}-(\\d+)-`);

/** The pid in a name (or a path with such a component) made by ownedName(), or null for a stranger's name. */
export function ownerPid(name: string): number | null {
  const pid = Number(OWNED.exec(name)?.[1] ?? NaN);
  return Number.isInteger(pid) ? pid : null;
}
