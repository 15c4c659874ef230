// Entries of folders (staging folders, temporary files) whose names say a run made them that is no longer
// alive: what the sweep, the results commit and the kernel cache each clear from their folders.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ownerOf } from './owned-names.ts';
import { liveRuns } from './ownership.ts';

export function deadOwned(folders: readonly string[]): { name: string; path: string }[] {
  // Listed before asking who is alive: a run that starts meanwhile made its beacon before its names.
  const found = folders.flatMap((dir) => (existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).map((name) => ({ name, path: join(dir, name) })) : []));
  const live = liveRuns();
  return found.filter(({ name }) => {
    const owner = ownerOf(name);
    return owner !== null && !live.has(owner);
  });
}
