// Builds one of the bench's C programs (scripts/bench/<name>.c) into build/bench/, which a fresh clone lacks.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../support/paths.ts';

export async function compileC(name: string, libraries: string[] = []): Promise<string> {
  const dir = join(ROOT, 'build', 'bench');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, name);
  await execa('gcc', ['-O2', '-Wall', '-o', binary, join(ROOT, 'scripts', 'bench', `${name}.c`), ...libraries.map((l) => `-l${l}`)]);
  return binary;
}
