// Entry point: `experiment <name…|all> [--kernel …]`, `import <kernel-log> <user-log> …` and `kernels`; each
// command is a module in scripts/commands/.
import { cleanupOnExit, exitAfterCleanup } from './support/cleanup.ts';
import { EXIT, HarnessError, describeError } from './support/errors.ts';
import { experimentCommand } from './commands/experiment.ts';
import { importCommand } from './commands/import.ts';
import { kernelsCommand } from './commands/kernels.ts';
import { help, usageError } from './commands/usage.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'experiment') return experimentCommand(rest);
  if (command === 'import') return importCommand(rest);
  if (command === 'kernels') return kernelsCommand(rest);
  if (command === undefined || command === '--help' || command === '-h') return help();
  throw usageError(`unknown command "${command}"`);
}

cleanupOnExit();
let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  const e = error instanceof HarnessError ? error : new HarnessError(EXIT.bug, 'unexpected failure', { cause: error });
  console.error(`error: ${describeError(e)}`);
  code = e.code;
}
await exitAfterCleanup(code);
