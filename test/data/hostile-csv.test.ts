/** issue 16 #10, #12, #18: CSV input that used to give silent wrong data or misleading messages. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { checkFiniteData } from '../../host/data/dataset.ts';
import { loadCsvRecording, loadGenericCsv } from '../../host/data/generic-csv.ts';
import { loadSplits } from '../../host/data/select.ts';
import { InputError, TbnError } from '../../host/errors.ts';
import { runCli } from '../cli/cli-io.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-hostile-csv-'));
let n = 0;
function csv(text: string): string {
  const f = path.join(dir, `case${++n}.csv`);
  writeFileSync(f, text, 'latin1');
  return f;
}
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('CSV cells and statistics (#10)', () => {
  it('a cell that overflows float32 (1e39) is refused with file:line', () => {
    const f = csv(['f1,f2,label', '1,2,a', '3,4,b', '5,1e39,a', '6,7,b'].join('\n'));
    const e = thrown(() => loadGenericCsv({ file: f }));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${f}:4: column "f2" is 1e39, outside the float32 range (magnitude at most 3.4e38)`);
    // through the dataset options too (what train and eval use)
    expect(() => loadSplits({ data: `csv:${f}` }, 1)).toThrow(`${f}:4: column "f2"`);
  });
  it('a non-finite value in any dataset is refused naming the example and channel', () => {
    const x = Float32Array.of(1, 2, 3, Number.POSITIVE_INFINITY);
    expect(() => checkFiniteData({ name: 'd', x, shape: [1, 1, 2], channels: ['a', 'b'] })).toThrow('d: example 2, channel b holds Infinity');
    expect(() => checkFiniteData({ name: 'd', x: Float32Array.of(1, 2, 3, 4), shape: [1, 1, 2], channels: ['a', 'b'] })).not.toThrow();
  });
});

describe('a non-numeric cell is an error wherever it is (#12)', () => {
  it('the first data row gives the same error as row 7, and no column is dropped silently', () => {
    const rows = (bad: number) => ['f1,f2,f3,label', ...Array.from({ length: 8 }, (_, r) => `${r},${r === bad ? 'x' : r + 1},${r + 2},${r % 2 ? 'a' : 'b'}`)].join('\n');
    const first = csv(rows(0));
    const seventh = csv(rows(5)); // data row 6 = file line 7
    const e1 = thrown(() => loadGenericCsv({ file: first }));
    const e7 = thrown(() => loadGenericCsv({ file: seventh }));
    expect(e1.message).toBe(e7.message.replace(`${seventh}:7:`, `${first}:2:`));
    expect(e1.message).toMatch(new RegExp(`^${first}:2: malformed row: column "f2" is "x", expected a number; .*--channels`));
    // leaving the column out is what the user asks for explicitly
    expect(loadGenericCsv({ file: first, featureColumns: ['f1', 'f3'] }).channels).toEqual(['f1', 'f3']);
  });
});

describe('smaller CSV items (#18)', () => {
  it('CR-only line ends read like LF', () => {
    const lines = ['f1,f2,label', '1,2,a', '3,4,b', '5,6,a'];
    const lf = loadGenericCsv({ file: csv(lines.join('\n')) });
    const cr = loadGenericCsv({ file: csv(lines.join('\r')) });
    expect(Array.from(cr.x)).toEqual(Array.from(lf.x));
    expect(Array.from(cr.y)).toEqual(Array.from(lf.y));
  });
  it('a quoted field holding a comma gets a hint', () => {
    const f = csv(['f1,f2,label', '1,2,a', '3,4,"walking, fast"'].join('\n'));
    expect(thrown(() => loadCsvRecording(f)).message).toMatch(/^.*:3: malformed row: 4 columns, the header has 3 \(f1,f2,label\); a quoted field holds a comma/);
  });
  it('binary junk in a file is escaped in the message, never echoed raw', () => {
    const f = csv(['f1,\x1b[2J\x00\x07,label', '1,2,a'].join('\n'));
    const e = thrown(() => loadGenericCsv({ file: f, featureColumns: ['nope'] }));
    expect(e).toBeInstanceOf(TbnError);
    expect(e.message).toContain('\\x1b[2J\\x00\\x07');
    expect(e.message).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });
  it('a 20,000-column header is not printed name by name', () => {
    const names = Array.from({ length: 20000 }, (_, i) => `c${i}`);
    const f = csv([names.join(','), names.map(() => '1').join(',')].join('\n'));
    const e = thrown(() => loadGenericCsv({ file: f }));
    expect(e.message).toMatch(/missing label column "label"; the header has: c0, c1, .*, \.\.\. \(19,988 more\)$/);
    expect(e.message.length).toBeLessThan(400);
    // and the one-line description train and eval print for such a file
    const ok = csv([[...names, 'label'].join(','), ...Array.from({ length: 10 }, (_, r) => [...names.map(() => String(r)), r % 2 ? 'a' : 'b'].join(','))].join('\n'));
    const d = loadSplits({ data: `csv:${ok}` }, 1).description;
    expect(d).toMatch(/20000 features \(c0,c1,.*,c11,\.\.\. \(19,988 more\)\), 2 classes/);
    expect(d.length).toBeLessThan(400);
  });
});

describe('progress while a big CSV loads (#18)', () => {
  it('reports lines read and rows parsed, throttled by time', () => {
    const rows = ['f1,f2,label', ...Array.from({ length: 20000 }, (_, i) => `${i},${-i},${i % 3}`)];
    const f = csv(rows.join('\n'));
    let clock = 0;
    const now = vi.spyOn(Date, 'now').mockImplementation(() => (clock += 1000)); // every check sees 1 s more
    const lines: string[] = [];
    try {
      loadGenericCsv({ file: f, progress: (t) => lines.push(t) });
    } finally {
      now.mockRestore();
    }
    // one report per 4,096 rows at most, and 2 s apart (each clock read here moves 1 s)
    expect(lines).toEqual([`${f}: 8,192 of 20,001 lines read`, `${f}: 16,384 of 20,001 lines read`, `${f}: 4,096 of 20,000 rows parsed`, `${f}: 12,288 of 20,000 rows parsed`]);
    // without a clock that runs, a fast load says nothing
    const quiet: string[] = [];
    loadGenericCsv({ file: f, progress: (t) => quiet.push(t) });
    expect(quiet).toEqual([]);
  });
});

describe('junk in command-line values (#18)', () => {
  it('a usage error quoting a value escapes its control characters', async () => {
    const { err } = await runCli(['eval', 'x.ckpt', '--split', 'te\x1b]0;pwned\x07st']);
    expect(err).toContain('te\\x1b]0;pwned\\x07st');
    expect(err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });
});
