/** The commands tbn prints for the user to run again (resume hints, report captions) survive the shell. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { optionWords, parseArgs } from '../../host/cli/args.ts';

describe('optionWords', () => {
  it('quotes values so that sh reads back the same words (the resume hint used JSON quoting: "$HOME" expanded)', () => {
    const args = parseArgs(['--data', 'csv:my $HOME/it\'s "x".csv', '--limit', '200', '--no-refit', '--seed', '3'], [
      { name: 'data', type: 'string', description: '' },
      { name: 'limit', type: 'string', description: '' },
      { name: 'seed', type: 'string', description: '' },
      { name: 'no-refit', type: 'boolean', description: '' },
    ]);
    const words = optionWords(args, ['data', 'limit', 'no-refit', 'batch']);
    const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${words.join(' ')}`], { encoding: 'utf8' });
    expect(echoed.split('\n').slice(0, -1)).toEqual(['--data', 'csv:my $HOME/it\'s "x".csv', '--limit', '200', '--no-refit']);
  });
});
