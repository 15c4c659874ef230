// The import graph of scripts/, servers/ and experiments/: no cycles, no missing files, and every import follows the layer order below.
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

type Layer = { name: string; files: readonly string[]; mayImport: readonly string[] | 'everything' };

// The layer order, lowest first. Everything below is derived from this table; a new folder must get a row (or join one).
const LAYERS: readonly Layer[] = [
  // Shared words and types (layers, observations, addresses): the bottom, so it depends on nothing else.
  { name: 'vocabulary', files: ['scripts/vocabulary/**'], mayImport: ['vocabulary'] },
  // Paths, errors, cleanup, kernel file systems: plumbing every tool needs, but no experiment knowledge.
  { name: 'support', files: ['scripts/support/**'], mayImport: ['vocabulary', 'support'] },
  // What each hook point is and sees: pure knowledge, so specs and analysis can use it without running anything.
  { name: 'hooks', files: ['scripts/hooks/**'], mayImport: ['vocabulary', 'hooks'] },
  // Experiment specs: declarative data, importable by analysis and reports without dragging in the runner.
  { name: 'spec', files: ['experiments/**'], mayImport: ['vocabulary', 'hooks', 'spec'] },
  // Running an experiment (needs root) and the servers it starts.
  { name: 'run', files: ['scripts/run/**', 'servers/**'], mayImport: ['vocabulary', 'support', 'hooks', 'spec', 'run'] },
  // Turning captured bytes into findings: pure functions of the evidence, so it may not reach the runner or the file system helpers.
  { name: 'analysis', files: ['scripts/analysis/**'], mayImport: ['vocabulary', 'hooks', 'spec', 'analysis'] },
  // Writing results (JSON, HTML, pcapng, terminal) from findings.
  { name: 'report', files: ['scripts/report/**'], mayImport: ['vocabulary', 'support', 'hooks', 'spec', 'analysis', 'report'] },
  // Command lines and drivers (cli, pipeline, VMs, benchmarks): they wire the layers together, so nothing imports them.
  { name: 'entry', files: ['scripts/*.ts', 'scripts/commands/**', 'scripts/vm/**', 'scripts/bench/**'], mayImport: 'everything' },
];

// The run layer's own rules: its subfolders are independent parts that only the files directly in scripts/run/ compose,
// and the servers are bundled and run on their own, so the only harness file they share is the message types.
const RUN_DIR = 'scripts/run/';
const SERVERS_DIR = 'servers/';
const IPC = 'scripts/run/server/ipc.ts';

const SCANNED = ['scripts', 'servers', 'experiments'];
const SKIPPED_DIRS = new Set(['node_modules', 'build', 'results', 'test']);

/** One source file and the relative specifiers it imports, as written. The checker needs nothing else. */
type ModuleRecord = { file: string; imports: readonly string[] };
type Edge = { from: string; to: string };

// ---------- parsing: specifiers out of TypeScript source, without a parser dependency ----------

const REGEX_BEFORE = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_AFTER_WORD = /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|void|yield|await|delete|throw|new)$/;

/**
 * The source with comments, string contents, template text and regex bodies blanked to spaces (same length, same
 * newlines), so that `import` inside a comment or a string is not taken for an import while offsets still match.
 */
function maskSource(src: string): string {
  const out = src.split('');
  const n = src.length;
  const blank = (i: number) => {
    if (i < n && out[i] !== '\n') out[i] = ' ';
  };
  const templateDepths: number[] = []; // brace depth of the code around each open `${`
  let depth = 0;
  let i = 0;

  // Skips template text from i; stops after the closing backtick, or just after a `${` (back in code).
  const template = (from: number): number => {
    let j = from;
    while (j < n) {
      if (src[j] === '\\') {
        blank(j++);
        blank(j++);
      } else if (src[j] === '`') {
        return j + 1;
      } else if (src[j] === '$' && src[j + 1] === '{') {
        templateDepths.push(depth);
        depth = 0;
        return j + 2;
      } else blank(j++);
    }
    return j;
  };

  const previousCode = (): string => {
    let j = i - 1;
    while (j >= 0 && /\s/.test(out[j])) j--;
    return j < 0 ? '' : out.slice(Math.max(0, j - 10), j + 1).join('');
  };

  while (i < n) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && src[i] !== '\n') blank(i++);
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      while (i < stop) blank(i++);
    } else if (c === '/') {
      const before = previousCode();
      const last = before.at(-1) ?? '';
      if (last === '' || REGEX_BEFORE.has(last) || REGEX_AFTER_WORD.test(before)) {
        // A regex literal: /['"]/ must not open a string.
        i++;
        let inClass = false;
        while (i < n && src[i] !== '\n' && (inClass || src[i] !== '/')) {
          if (src[i] === '\\') blank(i++);
          else if (src[i] === '[') inClass = true;
          else if (src[i] === ']') inClass = false;
          blank(i++);
        }
      }
      i++;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') blank(i++);
        blank(i++);
      }
      i++;
    } else if (c === '`') {
      i = template(i + 1);
    } else if (c === '}' && depth === 0 && templateDepths.length > 0) {
      depth = templateDepths.pop()!;
      i = template(i + 1);
    } else {
      if (c === '{') depth++;
      if (c === '}') depth--;
      i++;
    }
  }
  return out.join('');
}

// Each pattern runs on the masked text and ends at the opening quote of the specifier.
const IMPORT_PATTERNS = [
  /(?<![\w$.])import\s+[\w$\s{},*]+?\s*\bfrom\s*(['"])/g, // import x / { a, type B } / * as ns / type X  from '...'
  /(?<![\w$.])export\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(['"])/g, // export * / { a } from '...'
  /(?<![\w$.])import\s*(['"])/g, // import '...' (side effect)
  /(?<![\w$.])import\s*\(\s*(['"`])/g, // import('...')
];

/** Every specifier a source file imports, in order of appearance. */
function importSpecifiers(src: string): string[] {
  const masked = maskSource(src);
  const found: { at: number; specifier: string }[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const m of masked.matchAll(pattern)) {
      const open = m.index + m[0].length - 1;
      const close = masked.indexOf(m[1], open + 1);
      if (close < 0) continue;
      const specifier = src.slice(open + 1, close);
      if (m[1] === '`' && specifier.includes('${')) continue; // computed: cannot be resolved statically
      found.push({ at: open, specifier });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.specifier);
}

// ---------- checking: pure functions over records ----------

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/?|\*)/)
    .map((part) => (part === '**' ? '.+' : part === '**/' ? '(?:.+/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

function layerMatcher(layers: readonly Layer[]): (file: string) => string[] {
  const compiled = layers.map((l) => ({ name: l.name, patterns: l.files.map(globToRegExp) }));
  return (file) => compiled.filter((l) => l.patterns.some((p) => p.test(file))).map((l) => l.name);
}

const isRelative = (specifier: string) => specifier.startsWith('./') || specifier.startsWith('../');

/** Where a relative specifier points, repo-relative; null if it climbs out of the repository. */
function resolveSpecifier(importer: string, specifier: string): string | null {
  const target = posix.normalize(posix.join(posix.dirname(importer), specifier));
  return target.startsWith('../') || target === '..' ? null : target;
}

const mayImportText = (layer: Layer) => (layer.mayImport === 'everything' ? 'everything' : layer.mayImport.join(', '));
const runSubfolder = (file: string) => (file.startsWith(RUN_DIR) ? file.slice(RUN_DIR.length).split('/').slice(0, -1)[0] : undefined);

/** Every cycle as `a → b → a`, each listed once, starting from its alphabetically first file. */
function findCycles(edges: readonly Edge[], limit = 200): string[] {
  const out = new Map<string, string[]>();
  for (const { from, to } of edges) {
    if (!out.has(from)) out.set(from, []);
    if (!out.get(from)!.includes(to)) out.get(from)!.push(to);
  }
  for (const targets of out.values()) targets.sort();
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();

  // Tarjan's strongly connected components, so the search below stays inside the parts that can loop.
  const component = new Map<string, number>();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  let counter = 0;
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (!component.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      let w: string;
      do {
        w = stack.pop()!;
        component.set(w, index.get(v)!);
      } while (w !== v);
    }
  };
  for (const v of nodes) if (!index.has(v)) connect(v);

  // Each elementary cycle is found once: from its smallest node, through larger nodes of the same component only.
  const cycles: string[] = [];
  for (const start of nodes) {
    const path = [start];
    const onPath = new Set(path);
    const walk = (v: string) => {
      for (const w of out.get(v) ?? []) {
        if (cycles.length >= limit) return;
        if (w === start) cycles.push([...path, start].join(' → '));
        else if (w > start && !onPath.has(w) && component.get(w) === component.get(start)) {
          path.push(w);
          onPath.add(w);
          walk(w);
          onPath.delete(w);
          path.pop();
        }
      }
    };
    walk(start);
  }
  if (cycles.length >= limit) cycles.push(`… stopped after ${limit} cycles`);
  return cycles;
}

type Report = {
  placement: string[];
  missing: string[];
  direction: string[];
  runSubfolders: string[];
  servers: string[];
  cycles: string[];
};

/** All rule violations of a graph. `exists` says whether a repo-relative path is a file (the real tree asks the disk). */
function checkGraph(records: readonly ModuleRecord[], layers: readonly Layer[], exists: (file: string) => boolean): Report {
  const layersOf = layerMatcher(layers);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const report: Report = { placement: [], missing: [], direction: [], runSubfolders: [], servers: [], cycles: [] };

  for (const { file } of records) {
    const found = layersOf(file);
    if (found.length === 0) report.placement.push(`${file} is in no layer: add its folder to the layer table`);
    if (found.length > 1) report.placement.push(`${file} is in several layers: ${found.join(', ')}`);
  }

  const edges: Edge[] = [];
  for (const { file, imports } of records) {
    for (const specifier of new Set(imports)) {
      if (!isRelative(specifier)) continue; // `node:` and npm packages are not part of the layering
      const to = resolveSpecifier(file, specifier);
      if (to === null || !exists(to)) report.missing.push(`${file} imports '${specifier}': no such file ${to ?? '(outside the repository)'}`);
      else if (!edges.some((e) => e.from === file && e.to === to)) edges.push({ from: file, to }); // './a.ts' and '../x/a.ts' are one edge
    }
  }

  for (const { from, to } of edges) {
    const [fromLayer, ...fromOthers] = layersOf(from);
    const toLayers = layersOf(to);
    if (fromLayer === undefined || fromOthers.length > 0 || toLayers.length > 1) continue; // placement already says so
    const layer = byName.get(fromLayer)!;
    const toLayer = toLayers[0] ?? 'no layer';
    if (layer.mayImport !== 'everything' && !layer.mayImport.includes(toLayer)) {
      report.direction.push(`${from} (${fromLayer}) imports ${to} (${toLayer}): ${fromLayer} may import ${mayImportText(layer)}`);
    }
    const [fromSub, toSub] = [runSubfolder(from), runSubfolder(to)];
    if (fromSub !== undefined && toSub !== undefined && fromSub !== toSub && to !== IPC) {
      report.runSubfolders.push(
        `${from} (run) imports ${to} (run): ${RUN_DIR}${fromSub}/ may not import another ${RUN_DIR} subfolder (${toSub}/); ` +
          `only files directly in ${RUN_DIR} compose them, and any may import ${IPC}`,
      );
    }
    if (from.startsWith(SERVERS_DIR) && to.startsWith(RUN_DIR) && to !== IPC) {
      report.servers.push(`${from} (run) imports ${to} (run): ${SERVERS_DIR} may import from ${RUN_DIR} only ${IPC} (servers are bundled and run on their own)`);
    }
  }

  report.cycles = findCycles(edges);
  for (const list of Object.values(report)) list.sort();
  return report;
}

// ---------- the real tree ----------

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function scan(dir: string): string[] {
  return readdirSync(posix.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : scan(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

function isFile(file: string): boolean {
  try {
    return statSync(posix.join(ROOT, file)).isFile();
  } catch {
    return false;
  }
}

t.test('the layer table is consistent', async (t) => {
  const names = LAYERS.map((l) => l.name);
  t.same(names.filter((n, i) => names.indexOf(n) !== i), [], 'layer names are unique');
  const unknown = LAYERS.flatMap((l) => (l.mayImport === 'everything' ? [] : l.mayImport.filter((m) => !names.includes(m)).map((m) => `${l.name} may import unknown layer ${m}`)));
  t.same(unknown, [], 'every "may import" names a layer in the table');
});

t.test('the real tree', async (t) => {
  const records = SCANNED.flatMap(scan)
    .sort()
    .map((file) => ({ file, imports: importSpecifiers(readFileSync(posix.join(ROOT, file), 'utf8')) }));
  t.ok(records.length > 0, `scanned ${records.length} files under ${SCANNED.join(', ')}`);
  const report = checkGraph(records, LAYERS, isFile);
  t.same(report.placement, [], 'every file is in exactly one layer');
  t.same(report.missing, [], 'every relative import names an existing file');
  t.same(report.direction, [], 'every import points down the layer order');
  t.same(report.runSubfolders, [], `${RUN_DIR} subfolders do not import each other (except ${IPC})`);
  t.same(report.servers, [], `${SERVERS_DIR} imports nothing from ${RUN_DIR} but ${IPC}`);
  t.same(report.cycles, [], 'the import graph has no cycles');
});

// ---------- the checker can fail ----------

t.test('the parser finds every kind of import, and nothing in comments or strings', async (t) => {
  const src = [
    "import t from 'tap';",
    "import { readFileSync } from 'node:fs';",
    "import type { A } from './a.ts';",
    'import {',
    '  b,',
    '  type C,',
    "} from '../b.ts';",
    "import * as d from './d.ts';",
    "import e, { from } from './e.ts';",
    "export { f } from './f.ts';",
    "export type { G } from './g.ts';",
    "export * from './h.ts';",
    "export * as i from './i.ts';",
    "import './side-effect.ts';",
    "const j = await import('./j.ts');",
    'const k = await import(`./k.ts`);',
    'const computed = await import(`./${name}.ts`);',
    "// import x from './commented.ts';",
    "/* import y from './block-commented.ts'; */",
    "const s = \"import z from './in-a-string.ts'\";",
    'const u = `text ${`import w from \'./in-a-template.ts\'`} more`;',
    "const re = /['\"]/g; const after = 1;",
    "import l from './l.ts';",
    'const m = import.meta.url;',
  ].join('\n');
  t.same(importSpecifiers(src), ['tap', 'node:fs', './a.ts', '../b.ts', './d.ts', './e.ts', './f.ts', './g.ts', './h.ts', './i.ts', './side-effect.ts', './j.ts', './k.ts', './l.ts']);
});

t.test('a synthetic graph with one of each fault is reported in full', async (t) => {
  const records: ModuleRecord[] = [
    { file: 'scripts/vocabulary/words.ts', imports: ['../analysis/a.ts'] }, // wrong direction
    { file: 'scripts/analysis/a.ts', imports: ['./b.ts', '../vocabulary/words.ts'] }, // a → b → a, and a → words → a
    { file: 'scripts/analysis/b.ts', imports: ['./a.ts'] },
    { file: 'scripts/newfolder/x.ts', imports: [] }, // in no layer
    { file: 'scripts/run/setup/s.ts', imports: ['../topology/t.ts', '../server/ipc.ts', 'node:fs', 'execa'] }, // cross-subfolder; ipc is fine
    { file: 'scripts/run/topology/t.ts', imports: ['./gone.ts'] }, // missing file
    { file: 'scripts/run/server/ipc.ts', imports: [] },
    { file: 'scripts/run/run.ts', imports: ['./setup/s.ts', './topology/t.ts'] }, // composing: fine
    { file: 'servers/udp.ts', imports: ['../scripts/run/server/ipc.ts', '../scripts/run/setup/s.ts'] }, // only ipc.ts allowed
    { file: 'scripts/cli.ts', imports: ['./run/run.ts', './analysis/a.ts'] }, // entry: anything
  ];
  const files = new Set(records.map((r) => r.file));
  const report = checkGraph(records, LAYERS, (f) => files.has(f));
  t.same(report, {
    placement: ['scripts/newfolder/x.ts is in no layer: add its folder to the layer table'],
    missing: ["scripts/run/topology/t.ts imports './gone.ts': no such file scripts/run/topology/gone.ts"],
    direction: ['scripts/vocabulary/words.ts (vocabulary) imports scripts/analysis/a.ts (analysis): vocabulary may import vocabulary'],
    runSubfolders: [
      'scripts/run/setup/s.ts (run) imports scripts/run/topology/t.ts (run): scripts/run/setup/ may not import another scripts/run/ subfolder (topology/); ' +
        'only files directly in scripts/run/ compose them, and any may import scripts/run/server/ipc.ts',
    ],
    servers: [
      'servers/udp.ts (run) imports scripts/run/setup/s.ts (run): servers/ may import from scripts/run/ only scripts/run/server/ipc.ts (servers are bundled and run on their own)',
    ],
    cycles: [
      'scripts/analysis/a.ts → scripts/analysis/b.ts → scripts/analysis/a.ts',
      'scripts/analysis/a.ts → scripts/vocabulary/words.ts → scripts/analysis/a.ts',
    ],
  });

  // And the same functions stay quiet on a clean graph, so the real-tree assertions only fail for real faults.
  const clean = records.filter((r) => r.file.startsWith('scripts/run/server') || r.file === 'scripts/cli.ts').map((r) => ({ ...r, imports: r.file === 'scripts/cli.ts' ? ['./run/server/ipc.ts'] : r.imports }));
  const cleanFiles = new Set(clean.map((r) => r.file));
  t.same(checkGraph(clean, LAYERS, (f) => cleanFiles.has(f)), { placement: [], missing: [], direction: [], runSubfolders: [], servers: [], cycles: [] });

  // A self-import and a three-file loop are cycles too.
  t.same(findCycles([{ from: 'x.ts', to: 'x.ts' }, { from: 'p.ts', to: 'q.ts' }, { from: 'q.ts', to: 'r.ts' }, { from: 'r.ts', to: 'p.ts' }]), [
    'p.ts → q.ts → r.ts → p.ts',
    'x.ts → x.ts',
  ]);
});
