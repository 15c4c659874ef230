// Replacing a file in one step: a reader never sees half of it, a failure never truncates it.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ownedName } from './owned-names.ts';

export function writeAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  // Hidden and owned: a run killed mid-write leaves a name the next run's sweep finds and removes.
  const tmp = join(dirname(path), `.${ownedName(basename(path))}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
