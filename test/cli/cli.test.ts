import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../host/cli/args.ts';
import { COMMANDS, main } from '../../host/cli.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), interactive: false }, out, err };
}

const SUBCOMMANDS = ['train', 'pack', 'eval', 'inspect', 'sim', 'stream', 'build', 'flash', 'demo'];

describe('tbn CLI', () => {
  it('lists every subcommand in the top-level help', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const name of SUBCOMMANDS) expect(c.out.join('\n')).toContain(name);
  });

  it.each(SUBCOMMANDS)('%s --help prints usage and options', async (name) => {
    const c = capture();
    expect(await main([name, '--help'], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toContain(`Usage: tbn ${name}`);
    expect(text).toContain('--help');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('unknown command "frobnicate"');
  });

  it('rejects an unknown option and names it', async () => {
    const c = capture();
    expect(await main(['inspect', '--no-such-flag'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('--no-such-flag');
  });

  it('--version prints the version of package.json', async () => {
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out).toEqual([JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version]);
  });

  it.each([
    [['trian'], 'tbn: unknown command "trian" (did you mean "train"?)'],
    [['stram'], 'tbn: unknown command "stram" (did you mean "stream"?)'],
    [['train', '--epoch', '3'], 'tbn train: unknown option --epoch (did you mean --epochs?)'],
    [['stream', '--sampels-per-frame', '3'], 'tbn stream: unknown option --sampels-per-frame (did you mean --samples-per-frame?)'],
    [['pack', '--jsn'], 'tbn pack: unknown option --jsn (did you mean --json?)'],
  ])('%j: a usage error is one line plus the pointer to --help, with a did-you-mean', async (argv, line) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    const lines = c.err.join('\n').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(line);
    expect(lines[1]).toMatch(/^Run `tbn( \w+)? --help` for usage\.$/);
    expect(c.out).toEqual([]);
  });

  it('control characters in an unknown command or flag are shown escaped, never raw', async () => {
    for (const argv of [['\u001b[2Jevil'], ['inspect', '--\u001b[2J\u0007']]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      const text = c.err.join('\n');
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
      expect(text).toContain('\\x1b[2J');
    }
  });

  it('an unknown word far from every name gets no suggestion', async () => {
    const c = capture();
    expect(await main(['inspect', '--zzzzzzzz'], c.io)).toBe(2);
    expect(c.err.join('\n')).not.toContain('did you mean');
  });

  it.each([
    ['pack', 'output', 'out'],
    ['train', 'rate', 'sample-rate'],
    ['eval', 'rate', 'sample-rate'],
    ['stream', 'rate', 'pace'],
    ['stream', 'har-root', 'data-root'],
  ])('%s --%s still works for one release, as --%s with a warning', async (command, old, now) => {
    const entry = COMMANDS[command];
    if (!entry) throw new Error(command);
    const specs = (await entry.load()).options;
    const parsed = parseArgs([`--${old}`, '25'], specs);
    expect(parsed.options[now]).toBe('25');
    expect(parsed.warnings).toEqual([`--${old} is now --${now}; the old spelling will be removed in the next release`]);
  });

  it('one name per concept: -o/--out for every output, --data-root for every data folder, --sample-rate for resampling', async () => {
    const all = await Promise.all(Object.entries(COMMANDS).map(async ([name, c]) => ({ name, options: (await c.load()).options })));
    for (const { name, options } of all) {
      const names = options.map((o) => o.name);
      for (const bad of ['output', 'har-root', 'rate']) expect(names, name).not.toContain(bad);
      const out = options.find((o) => o.name === 'out');
      if (out) expect(out.short, `${name} --out`).toBe('o');
    }
  });
});
