/** Minimal, strict argument parser shared by every subcommand: numeric ranges and old spellings are checked here, once. */
import { closest, distance } from 'fastest-levenshtein';
import { printable, UsageError } from '../errors.ts';
import { shellQuote } from '../io/shell.ts';

export { UsageError };

/** The values a numeric flag accepts. Bounds are inclusive (`min`, `max`) or exclusive (`above`, `below`). */
export interface NumberRange {
  integer?: boolean;
  min?: number;
  max?: number;
  above?: number;
  below?: number;
  /** The value is a comma-separated list; every item must be in range. */
  list?: boolean;
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
  /** A numeric flag: parseArgs refuses, naming the flag, every value outside this range. */
  range?: NumberRange;
  /** Old spellings, still accepted for one release with a warning. */
  aliases?: string[];
}

export interface ParsedArgs {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Deprecation notes for old spellings; the CLI prints them on stderr. */
  warnings?: string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** "an integer from 0 to 30", "a number above 0 and below 1", ... */
export function describeRange(r: NumberRange): string {
  const parts: string[] = [];
  if (r.min !== undefined && r.max !== undefined) parts.push(`from ${r.min} to ${r.max}`);
  else {
    if (r.min !== undefined) parts.push(`at least ${r.min}`);
    else if (r.above !== undefined) parts.push(`above ${r.above}`);
    if (r.max !== undefined) parts.push(`at most ${r.max}`);
    else if (r.below !== undefined) parts.push(`below ${r.below}`);
  }
  if (r.min !== undefined && r.max !== undefined) {
    if (r.above !== undefined) parts.push(`above ${r.above}`);
    if (r.below !== undefined) parts.push(`below ${r.below}`);
  }
  const kind = r.integer ? 'an integer' : 'a number';
  return `${r.list ? 'comma-separated values, each ' : ''}${kind}${parts.length ? ` ${parts.join(' and ')}` : ''}`;
}

/** Parses one numeric value of a flag, refusing anything outside its range. */
export function checkNumber(flag: string, text: string, r: NumberRange): number {
  const bad = () => new UsageError(`--${flag} must be ${describeRange(r)}, got "${printableWord(text)}"`);
  if (!NUMBER.test(text.trim())) throw bad();
  const n = Number(text.trim());
  if (!Number.isFinite(n)) throw bad();
  if (r.integer && !Number.isInteger(n)) throw bad();
  if (r.min !== undefined && n < r.min) throw bad();
  if (r.max !== undefined && n > r.max) throw bad();
  if (r.above !== undefined && !(n > r.above)) throw bad();
  if (r.below !== undefined && !(n < r.below)) throw bad();
  return n;
}

function checkValue(spec: OptionSpec, value: string): void {
  if (!spec.range) return;
  if (spec.range.list) {
    const items = value.split(',');
    for (const item of items) checkNumber(spec.name, item, spec.range);
  } else {
    checkNumber(spec.name, value, spec.range);
  }
}

/** A word the user typed, for a one-line message: at most 40 characters, every control character escaped (newlines too). */
export function printableWord(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return printable(shown).replace(/[\n\t]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The closest known name, when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word === '') return undefined;
  const best = closest(word, candidates as string[]);
  const limit = Math.max(1, Math.min(3, Math.round(word.length / 3)));
  if (distance(word, best) <= limit) return best;
  const prefixed = candidates.filter((c) => c.startsWith(word));
  return word.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined;
}

function unknownOption(flag: string, specs: OptionSpec[]): UsageError {
  const hint = didYouMean(flag, specs.flatMap((s) => [s.name, ...(s.aliases ?? [])]));
  return new UsageError(`unknown option --${printableWord(flag)}${hint ? ` (did you mean --${hint}?)` : ''}`);
}

export function parseArgs(argv: string[], specs: OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byAlias = new Map(specs.flatMap((s) => (s.aliases ?? []).map((a) => [a, s] as const)));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  const warnings: string[] = [];
  for (const s of specs) {
    if (s.default !== undefined) options[s.name] = s.type === 'boolean' ? s.default === 'true' : s.default;
  }
  const resolve = (name: string): OptionSpec | undefined => {
    const spec = byName.get(name);
    if (spec) return spec;
    const old = byAlias.get(name);
    if (old) warnings.push(`--${name} is now --${old.name}; the old spelling will be removed in the next release`);
    return old;
  };
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
      spec = resolve(name);
      if (!spec && name.startsWith('no-')) {
        const negated = resolve(name.slice(3));
        if (negated?.type === 'boolean') {
          if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
          options[negated.name] = false;
          continue;
        }
      }
      if (!spec) throw unknownOption(name, specs);
    } else if (arg.startsWith('-') && arg.length === 2 && !NUMBER.test(arg)) {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(`unknown option ${printableWord(arg)}`);
    } else if (arg.startsWith('-') && arg.length > 2 && !NUMBER.test(arg)) {
      throw unknownOption(arg.slice(1), specs);
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
    checkValue(spec, value);
    if (spec.repeat) {
      const prev = options[spec.name];
      options[spec.name] = Array.isArray(prev) ? [...prev, value] : [value];
    } else {
      options[spec.name] = value;
    }
  }
  return { options, positionals, warnings };
}

/** `--name value` words for the options that are set (flags bare, lists repeated), shell-quoted; `names` picks and orders them. */
export function optionWords(a: ParsedArgs, names: readonly string[] = Object.keys(a.options)): string[] {
  const words: string[] = [];
  for (const name of names) {
    const v = a.options[name];
    if (v === undefined || v === false) continue;
    if (v === true) words.push(`--${name}`);
    else for (const x of Array.isArray(v) ? v : [v]) words.push(`--${name}`, shellQuote(x));
  }
  return words;
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
  return checkNumber(name, v, {});
}

export function optInt(a: ParsedArgs, name: string): number | undefined {
  const v = optString(a, name);
  if (v === undefined) return undefined;
  return checkNumber(name, v, { integer: true });
}

export function formatHelp(usage: string, summary: string, specs: OptionSpec[]): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:'];
  const all = [...specs, { name: 'help', type: 'boolean', short: 'h', description: 'show this help' } as OptionSpec];
  for (const s of all) {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'string' ? ' VALUE' : ''}`;
    const range = s.range ? ` [${describeRange(s.range)}]` : '';
    const def = s.default !== undefined ? ` (default ${s.default})` : '';
    const old = s.aliases?.length ? ` (was ${s.aliases.map((a) => `--${a}`).join(', ')})` : '';
    lines.push(`  ${flag.padEnd(30)} ${s.description}${range}${def}${old}`);
  }
  return lines.join('\n');
}
