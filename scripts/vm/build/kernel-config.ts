// The kernel .config of a built kernel, as text: minimal.config merged over `make tinyconfig`'s output, and
// what the final .config (after `make olddefconfig`) must hold. Pure functions (test/unit/vm/build.test.ts).

/** One symbol's setting: `CONFIG_X=y`, `CONFIG_X="text"`, or `# CONFIG_X is not set` (value null). */
export interface ConfigSetting { symbol: string; value: string | null }

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** The settings of a config or fragment, in order; comments and blank lines are skipped. `CONFIG_X=n` is
 *  read as not set, as Kconfig reads it. Throws on a line that is neither. */
export function parseConfig(text: string, file = 'config'): ConfigSetting[] {
  const settings: ConfigSetting[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const unset = UNSET.exec(line);
    if (unset) return void settings.push({ symbol: unset[1], value: null });
    if (line === '' || line.startsWith('#')) return;
    const set = SET.exec(line);
    if (!set) throw new Error(`${file}: line ${i + 1}: "${line}" is not a CONFIG_ setting`);
    settings.push({ symbol: set[1], value: set[2] === 'n' ? null : set[2] });
  });
  return settings;
}

const render = (s: ConfigSetting) => (s.value === null ? `# ${s.symbol} is not set` : `${s.symbol}=${s.value}`);

/** `base` with each of `settings` replacing that symbol's line (or appended): what merge_config.sh -m does. */
export function mergeConfig(base: string, settings: readonly ConfigSetting[]): string {
  const wanted = new Map(settings.map((s) => [s.symbol, s]));
  const lines = base.replace(/\n$/, '').split('\n').filter((line) => {
    const symbol = SET.exec(line.trim())?.[1] ?? UNSET.exec(line.trim())?.[1];
    return !(symbol && wanted.has(symbol));
  });
  return [...lines, ...[...wanted.values()].map(render)].join('\n') + '\n';
}

/** The CONFIG_LOCALVERSION line of a built kernel ("-edl-control"). */
export function localversionSetting(localversion: string): ConfigSetting {
  if (!/^-[a-z0-9.+-]+$/.test(localversion)) throw new Error(`"${localversion}" is not a LOCALVERSION this recipe uses`);
  return { symbol: 'CONFIG_LOCALVERSION', value: JSON.stringify(localversion) };
}

/** Why a final .config is not what was asked (empty when it is): a requested setting Kconfig dropped or changed
 *  (an unmet dependency), and any module (`=m`: everything here is built in, the initramfs loads nothing). */
export function configProblems(finalConfig: string, requested: readonly ConfigSetting[]): string[] {
  const final = new Map(parseConfig(finalConfig).map((s) => [s.symbol, s.value]));
  const problems: string[] = [];
  for (const { symbol, value } of requested) {
    const got = final.get(symbol) ?? null;
    if (got !== value) problems.push(`${render({ symbol, value })} was asked for, the final .config has ${got === null ? 'it not set' : `${symbol}=${got}`}`);
  }
  for (const [symbol, value] of final) if (value === 'm') problems.push(`${symbol}=m: a module, where everything must be built in`);
  return problems;
}
