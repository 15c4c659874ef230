// `npm run import -- <kernelspace-log> <userspace-log> --as <name> --out DIR`: logs made elsewhere, reported.
import { parseArgs } from 'node:util';
import { EXIT } from '../support/errors.ts';
import { importResults } from '../pipeline.ts';
import { painter } from '../report/terminal.ts';
import { HELP, help, selectExperiments, usageError, usageOnError } from './usage.ts';
import { verdicts } from './verdicts.ts';

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = usageOnError(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { as: { type: 'string' }, out: { type: 'string' }, tag: { type: 'string' }, kernel: { type: 'string' }, help: HELP },
    }),
  );
  if (values.help) return help();
  if (positionals.length !== 2) throw usageError('import takes two files: the kernelspace log and the userspace log');
  if (!values.as) throw usageError('--as is required: which experiment the logs come from');
  if (!values.out) throw usageError('--out is required: the folder to write the report into');
  const [spec] = selectExperiments([values.as]);
  const tag = values.tag === undefined ? undefined : Number.parseInt(values.tag, 16);
  if (tag !== undefined && !(tag >= 0 && tag <= 0xffff)) throw usageError(`--tag takes a 16-bit hex number, not "${values.tag}"`);
  const [kernelLog, userLog] = positionals;
  const summary = await importResults({ spec, kernelLog, userLog, out: values.out, tag, kernel: values.kernel });
  console.log(verdicts([{ spec, summary }], values.out, painter(), true));
  return EXIT.ok;
}

