/** Minimal, strict argument parser shared by every subcommand. */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Long name without dashes, e.g. "epochs". */
  name: string;
  /** Takes a value (`--epochs 5`) or is a boolean flag (`--json`). */
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  default?: string;
  /** May be given more than once; values are collected in order. */
  repeat?: boolean;
}

export interface ParsedArgs {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], specs: OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  for (const s of specs) {
    if (s.default !== undefined) options[s.name] = s.type === 'boolean' ? s.default === 'true' : s.default;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
        options[name.slice(3)] = false;
        continue;
      }
      if (!spec) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith('-') && arg.length === 2) {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`);
      options[spec.name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${spec.name} needs a value`);
    if (spec.repeat) {
      const prev = options[spec.name];
      options[spec.name] = Array.isArray(prev) ? [...prev, value] : [value];
    } else {
      options[spec.name] = value;
    }
  }
  return { options, positionals };
}

export function optString(a: ParsedArgs, name: string): string | undefined {
  const v = a.options[name];
  return typeof v === 'string' ? v : undefined;
}

export function optBool(a: ParsedArgs, name: string): boolean {
  return a.options[name] === true;
}

export function optList(a: ParsedArgs, name: string): string[] {
  const v = a.options[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function optNumber(a: ParsedArgs, name: string): number | undefined {
  const v = optString(a, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

export function optInt(a: ParsedArgs, name: string): number | undefined {
  const n = optNumber(a, name);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${n}"`);
  return n;
}

export function formatHelp(usage: string, summary: string, specs: OptionSpec[]): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:'];
  const all = [...specs, { name: 'help', type: 'boolean', short: 'h', description: 'show this help' } as OptionSpec];
  for (const s of all) {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'string' ? ' VALUE' : ''}`;
    const def = s.default !== undefined ? ` (default ${s.default})` : '';
    lines.push(`  ${flag.padEnd(30)} ${s.description}${def}`);
  }
  return lines.join('\n');
}
