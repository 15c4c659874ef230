// Where things live, from the repository root.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const RESULTS_DIR = join(ROOT, 'results');
export const SERVERS_DIR = join(ROOT, 'servers');
export const LOGS_DIR = join(ROOT, 'build', 'runs');
