// A private apt per Debian suite under build/apt/<suite>/, so we can look up and download packages
// of other releases (bullseye, sid) without touching /etc/apt or the host's apt/dpkg state.
import { execa } from 'execa';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, EXIT } from '../support/errors.ts';
import { ROOT } from '../support/paths.ts';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const DAY_MS = 24 * 60 * 60 * 1000;

/** One apt source line: `deb <uri> <suite> main`. */
export interface AptSource { uri: string; suite: string; kind?: 'deb' | 'deb-src' }

/** Why an apt command failed: Debian's archive could not be reached (or served a broken file mid-sync), a
 *  file it should have is not there (404: a version that was removed), or anything else (apt itself). */
export type AptFailure = 'unreachable' | 'not-found' | 'failed';

/** An apt failure, with what it was (exit 10 when unreachable, 4 otherwise). */
export class AptError extends HarnessError {
  constructor(readonly failure: AptFailure, message: string, options?: { cause?: unknown }) {
    super(failure === 'unreachable' ? EXIT.offline : EXIT.missingTool, message, options);
  }
}

/** Classifies apt's output (its `E:`/`W:`/`Err:` lines). */
export function aptFailure(output: string): AptFailure {
  if (/\b404\b\s+Not Found/i.test(output)) return 'not-found';
  if (/Could not resolve|Temporary failure resolving|Could not connect|Unable to connect|Connection (?:failed|timed out|refused|reset)|Network is unreachable|No route to host|timed out|Hash Sum mismatch|\b5\d\d\b\s+\w|Failed to fetch/i.test(output))
    return 'unreachable';
  return 'failed';
}

export interface PrivateApt {
  name: string;
  /** `apt-get update`, at most once a day (stamp file) unless `force`; `log` is told only when it really runs. */
  update(log: (line: string) => void, options?: { force?: boolean }): Promise<void>;
  cache(args: string[]): Promise<string>;
  /** `apt-get download` into `dir`. */
  download(specs: string[], dir: string): Promise<void>;
  /** `apt-get source --download-only` into `dir` (the .dsc and its tarballs, checked against the index). */
  downloadSource(spec: string, dir: string): Promise<void>;
}

/** `dir`: where its state lives (default build/apt/<name>/). */
export function privateApt(name: string, sources: AptSource[], where: { dir?: string } = {}): PrivateApt {
  const dir = where.dir ?? join(ROOT, 'build', 'apt', name);
  const sourcelist = join(dir, 'sources.list');
  const status = join(dir, 'status');
  const stamp = join(dir, 'updated');
  for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(dir, d), { recursive: true });
  // Empty dpkg status: packages installed on the host must not influence candidates.
  try { statSync(status); } catch { writeFileSync(status, ''); }
  const list = sources.map((s) => `${s.kind ?? 'deb'} [signed-by=${KEYRING}] ${s.uri} ${s.suite} main\n`).join('');
  let listChanged = false;
  try { listChanged = readFileSync(sourcelist, 'utf8') !== list; } catch { listChanged = true; }
  if (listChanged) writeFileSync(sourcelist, list);

  // The host's apt.conf.d stays in effect on purpose (it may carry proxy or mirror settings this
  // machine needs); everything that is state is redirected here.
  const options = [
    `Dir::Etc::sourcelist=${sourcelist}`, 'Dir::Etc::sourceparts=-',
    `Dir::State=${dir}`, `Dir::State::Lists=${join(dir, 'lists')}`, `Dir::State::status=${status}`,
    `Dir::Cache=${join(dir, 'cache')}`,
    // The host's docker-clean config disables the binary cache; sid's is rebuilt in ~1 s per call.
    'Dir::Cache::pkgcache=pkgcache.bin', 'Dir::Cache::srcpkgcache=',
    'APT::Architecture=amd64',
    // Root downloading into our own tree: no need to drop to _apt (who cannot write there).
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);

  const run = async (cmd: string, args: string[], what: string, cwd?: string) => {
    const r = await execa(cmd, [...options, ...args], { cwd, reject: false, all: true });
    if (r.failed) {
      if ((r as { code?: string }).code === 'ENOENT')
        throw new HarnessError(EXIT.missingTool, `${cmd} not found: ${what} needs apt (a Debian or Ubuntu host).`);
      // First line says why (apt's first error), the rest is apt's own account.
      const output = (r.all ?? '').trim();
      const lines = output.split('\n');
      const why = lines.find((l) => l.startsWith('E: '))?.slice(3) ?? `${cmd} exit ${r.exitCode}`;
      const failure = aptFailure(output);
      throw new AptError(failure,
        `${what} failed: ${why}\n${lines.slice(-6).filter((l) => l !== `E: ${why}`).join('\n')}\n` +
        (failure === 'unreachable'
          ? `Check network access to deb.debian.org (a proxy or mirror goes in /etc/apt/apt.conf.d, which stays in effect) and retry.`
          : failure === 'not-found' ? `Debian's archive answered 404: it no longer has that file.`
          : `The private apt state is in ${dir}.`),
        { cause: r });
    }
    return r.stdout;
  };

  return {
    name,
    async update(log, { force = false } = {}) {
      let fresh = false;
      try { fresh = !force && !listChanged && Date.now() - statSync(stamp).mtimeMs < DAY_MS; } catch {}
      if (fresh) return;
      log(`updating package lists for ${name}`);
      // Error-Mode=any: a failed index download is an error, not a warning with stale lists.
      await run('apt-get', ['-qq', '-o', 'APT::Update::Error-Mode=any', 'update'], `updating package lists for ${name}`);
      writeFileSync(stamp, new Date().toISOString() + '\n');
      listChanged = false;
    },
    cache: (args) => run('apt-cache', args, `apt-cache ${args[0]} (${name})`),
    async download(specs, into) {
      await run('apt-get', ['-qq', 'download', ...specs], `downloading ${specs.join(' ')}`, into);
    },
    async downloadSource(spec, into) {
      await run('apt-get', ['-qq', 'source', '--download-only', spec], `downloading the source package ${spec}`, into);
    },
  };
}
