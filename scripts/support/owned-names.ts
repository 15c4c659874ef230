// The names of everything a run creates (namespaces, cgroups, tracefs instances, pins, private mounts, VM
// folders, staging folders): edl-<run id>-<label>, so a later run can tell whose a leftover is and ask whether
// that run is alive (ownership.ts). One scheme, used by every creator and the sweep.
import { RUN_ID, claimRun } from './ownership.ts';

const PREFIX = 'edl';

/** The prefix of every name a run creates: "edl-1234-a1b2c3-" (a pid alone: the prefix of all its runs' names). */
export function ownedPrefix(run: string | number = RUN_ID): string {
  return `${PREFIX}-${run}-`;
}

/** The name this run gives to something it creates: "edl-1234-a1b2c3-tcp". */
export function ownedName(label: string): string {
  claimRun();
  return `${ownedPrefix()}${label}`;
}

// After the start of the name or a path component, or a dot (hidden staging names: ".edl-…").
const OWNED = new RegExp(`(?:^|[/.])${PREFIX}-(\\d+-[0-9a-f]{6})-`);

/** The run id in a name (or a path with such a component) made by ownedName(), or null for a stranger's name. */
export function ownerOf(name: string): string | null {
  return OWNED.exec(name)?.[1] ?? null;
}
