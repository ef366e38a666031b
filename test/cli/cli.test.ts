import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';

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
});
