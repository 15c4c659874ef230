// `npm run kernels`: the Debian kernels --kernel can use, and those already cached.
import { parseArgs } from 'node:util';
import { EXIT } from '../support/errors.ts';
import { availableKernels, cachedKernels } from '../vm/kernels.ts';
import { HELP, help, usageOnError } from './usage.ts';

export async function kernelsCommand(args: string[]): Promise<number> {
  const { values } = usageOnError(() => parseArgs({ args, options: { help: HELP } }));
  if (values.help) return help();
  const cached = new Set(cachedKernels().map((k) => k.release));
  for (const k of await availableKernels(console.log)) {
    console.log(`${k.series.padEnd(7)} ${k.release.padEnd(34)} ${k.suite.padEnd(10)} ${cached.has(k.release) ? 'cached' : 'not cached'}`);
  }
  return EXIT.ok;
}

