/**
 * Every numeric flag of every command is checked in one place (cli/args.ts, from the flag's range):
 * an out-of-range value is refused with the flag's name, and an in-range value reaches the command unchanged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkNumber, type NumberRange, type OptionSpec, parseArgs } from '../../host/cli/args.ts';
import { COMMANDS, main } from '../../host/cli.ts';
import { captureIO } from './cli-io.ts';

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const commands = await Promise.all(Object.entries(COMMANDS).map(async ([name, c]) => ({ name, command: await c.load() })));
const numericFlags = commands.flatMap(({ name, command }) =>
  command.options.filter((o): o is OptionSpec & { range: NumberRange } => o.range !== undefined).map((o) => ({ command: name, spec: o })),
);

/** Values outside the range (numbers as the user would type them, and text that is no number at all). */
function outOfRange(r: NumberRange): fc.Arbitrary<string> {
  const parts: fc.Arbitrary<string>[] = [fc.constantFrom('', ' ', 'abc', 'NaN', 'Infinity', '-Infinity', '0x10', '1e', '--', '5abc', '1_000')];
  const num = (o: fc.DoubleConstraints) => fc.double({ noNaN: true, noDefaultInfinity: true, ...o }).map(String);
  if (r.min !== undefined) parts.push(num({ max: r.min, maxExcluded: true }), fc.integer({ max: Math.ceil(r.min) - 1, min: -1e9 }).map(String));
  if (r.max !== undefined) parts.push(num({ min: r.max, minExcluded: true }), fc.integer({ min: Math.floor(r.max) + 1, max: Math.max(Math.floor(r.max) + 1, 2e9) }).map(String));
  if (r.above !== undefined) parts.push(num({ max: r.above }));
  if (r.below !== undefined) parts.push(num({ min: r.below }));
  if (r.integer) {
    const lo = r.min ?? r.above ?? -1e6;
    const hi = r.max ?? r.below ?? 1e6;
    parts.push(fc.double({ min: lo, max: hi, noNaN: true }).filter((x) => !Number.isInteger(x)).map(String));
  }
  if (r.list) parts.push(fc.constantFrom(',', '1,,2', '1,'));
  return fc.oneof(...parts).filter((v) => !inRange(v, r));
}

function inRange(text: string, r: NumberRange): boolean {
  const items = r.list ? text.split(',') : [text];
  return items.every((t) => {
    if (!NUMBER_TEXT.test(t.trim())) return false;
    const n = Number(t);
    return Number.isFinite(n) && (!r.integer || Number.isInteger(n)) && (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max) && (r.above === undefined || n > r.above) && (r.below === undefined || n < r.below);
  });
}

describe('numeric flags', () => {
  it('the flags the robustness report names have ranges: stream --shift 0..30, sim --stride, stream --samples-per-frame', () => {
    const range = (c: string, f: string) => numericFlags.find((x) => x.command === c && x.spec.name === f)?.spec.range;
    expect(range('stream', 'shift')).toEqual({ integer: true, min: 0, max: 30 });
    expect(range('sim', 'stride')?.min).toBe(1);
    expect(range('stream', 'samples-per-frame')?.min).toBe(1);
  });

  it('every flag a command reads as a number (optInt, optNumber, positiveInt) has a range', () => {
    const dir = new URL('../../host/commands/', import.meta.url);
    const read = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      for (const m of text.matchAll(/(?:optInt|optNumber|positiveInt)\(args, '([a-z-]+)'\)/g)) read.add(m[1] as string);
    }
    expect(read.size).toBeGreaterThan(10);
    const ranged = new Set(numericFlags.map((f) => f.spec.name));
    expect([...read].filter((name) => !ranged.has(name))).toEqual([]);
  });

  it('every option with a numeric default has a range, and its default is in it', () => {
    for (const { name, command } of commands) {
      for (const o of command.options) {
        if (o.default !== undefined && o.type === 'string' && NUMBER_TEXT.test(o.default)) expect(o.range, `${name} --${o.name}`).toBeDefined();
        if (o.default !== undefined && o.range) expect(inRange(o.default, o.range), `${name} --${o.name} default ${o.default}`).toBe(true);
      }
    }
  });

  it.each(numericFlags.map((f) => [`${f.command} --${f.spec.name}`, f] as const))('%s: every out-of-range value is refused by the CLI, naming the flag', async (_, { command, spec }) => {
    await fc.assert(
      fc.asyncProperty(outOfRange(spec.range), fc.boolean(), async (value, inline) => {
        const c = captureIO();
        const argv = inline ? [command, `--${spec.name}=${value}`] : [command, `--${spec.name}`, value];
        const rc = await main(argv, c);
        expect(rc).toBe(2);
        const first = c.stderr.join('\n').split('\n')[0] as string;
        expect(first).toContain(`--${spec.name} must be`);
        expect(c.stdout).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it.each(numericFlags.map((f) => [`${f.command} --${f.spec.name}`, f] as const))('%s: an in-range value reaches the command as typed', (_, { command, spec }) => {
    const r = spec.range;
    const lo = r.min ?? (r.above !== undefined ? r.above + (r.integer ? 1 : 1e-6) : -1e6);
    const hi = r.max ?? (r.below !== undefined ? r.below - (r.integer ? 1 : 1e-6) : lo + 1e6);
    const one = r.integer ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }) : fc.double({ min: lo, max: hi, noNaN: true });
    const value = (r.list ? fc.array(one, { minLength: 1, maxLength: 4 }).map((a) => a.join(',')) : one.map(String)).filter((v) => inRange(v, r));
    const specs = commands.find((c) => c.name === command)?.command.options ?? [];
    fc.assert(
      fc.property(value, (v) => {
        const parsed = parseArgs([`--${spec.name}`, v], specs);
        expect(parsed.options[spec.name]).toBe(v);
        if (!r.list) expect(checkNumber(spec.name, v, r)).toBe(Number(v));
      }),
      { numRuns: 60 },
    );
  });
});
