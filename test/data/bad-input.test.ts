import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../host/errors.ts';
import { loadRecording } from '../../host/data/sp-sw-har.ts';
import { loadCsvRecording, loadGenericCsv } from '../../host/data/generic-csv.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-bad-'));
let n = 0;
function csv(text: string): string {
  const f = path.join(dir, `case${++n}.csv`);
  writeFileSync(f, text);
  return f;
}

const HEADER = 'x_acc,y_acc,z_acc,x_gyro,y_gyro,z_gyro,timestamp,label';
const row = (t: number, label = 'SEATED', x = '0.1'): string => `${x},0.2,9.8,0,0,0,${t},${label}`;

/** Expects an InputError whose message starts with file:line. */
function expectInputError(fn: () => unknown, file: string, line: number | undefined, what: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(InputError);
  const e = err as InputError;
  expect(e.file).toBe(file);
  expect(e.line).toBe(line);
  expect(e.message.startsWith(line === undefined ? `${file}: ` : `${file}:${line}: `), e.message).toBe(true);
  expect(e.message).toMatch(what);
}

describe('sp-sw-har recordings: bad input names file and line', () => {
  it('a row with too few columns', () => {
    const f = csv([HEADER, row(1000), row(1010), '0.1,0.2,9.8,0,0,1020,SEATED', row(1030)].join('\n'));
    expectInputError(() => loadRecording(f), f, 4, /malformed row: 7 columns, the header has 8/);
  });
  it('a row with too many columns', () => {
    const f = csv([HEADER, row(1000), row(1010) + ',extra'].join('\n'));
    expectInputError(() => loadRecording(f), f, 3, /malformed row: 9 columns, the header has 8/);
  });
  it('a non-numeric value, naming the column', () => {
    const f = csv([HEADER, row(1000), row(1010), row(1020, 'SEATED', 'abc')].join('\n'));
    expectInputError(() => loadRecording(f), f, 4, /column "x_acc" is "abc", expected a number/);
  });
  it.each(['0x10', 'Infinity', 'NaN', '1,5'.replace(',', ';'), '--1'])('a value that is not a plain decimal number: %s', (v) => {
    const f = csv([HEADER, row(1000), row(1010, 'SEATED', v)].join('\n'));
    expectInputError(() => loadRecording(f), f, 3, new RegExp(`column "x_acc" is "${v.replace(/[+.]/g, '\\$&')}", expected a number`));
  });
  it('an empty value', () => {
    const f = csv([HEADER, row(1000), row(1010, 'SEATED', '')].join('\n'));
    expectInputError(() => loadRecording(f), f, 3, /column "x_acc" is empty/);
  });
  it('a non-numeric timestamp', () => {
    const f = csv([HEADER, row(1000), '0.1,0.2,9.8,0,0,0,noon,SEATED'].join('\n'));
    expectInputError(() => loadRecording(f), f, 3, /column "timestamp" is "noon"/);
  });
  it('a missing column, listing the header', () => {
    const f = csv(['x_acc,y_acc,z_acc,x_gyro,y_gyro,timestamp,label', '0,0,0,0,0,1000,SEATED'].join('\n'));
    expectInputError(() => loadRecording(f), f, 1, /missing column "z_gyro"; the header has: x_acc, y_acc, z_acc, x_gyro, y_gyro, timestamp, label/);
  });
  it('a channel the user asked for that is not there', () => {
    const f = csv([HEADER, row(1000)].join('\n'));
    expectInputError(() => loadRecording(f, { channels: ['x_acc', 'mag'] }), f, 1, /missing column "mag"/);
  });
  it('an unknown label, listing the known ones', () => {
    const f = csv([HEADER, row(1000), row(1010), row(1020, 'JUMPING')].join('\n'));
    expectInputError(() => loadRecording(f), f, 4, /unknown label "JUMPING"; known labels: SEATED, STANDING_UP, WALKING, TURNING, SITTING_DOWN/);
  });
  it('a timestamp going backwards, naming both lines', () => {
    const f = csv([HEADER, row(1000), row(1010), row(1020), row(1015)].join('\n'));
    expectInputError(() => loadRecording(f), f, 5, /timestamp 1015 is before the previous one \(1020 on line 4\)/);
  });
  it('counts lines with Windows line ends and blank lines the same', () => {
    const f = csv([HEADER, row(1000), '', row(1010), row(1020, 'NOPE')].join('\r\n'));
    expectInputError(() => loadRecording(f), f, 5, /unknown label "NOPE"/);
  });
  it('a header-only file', () => {
    const f = csv(HEADER + '\n');
    expectInputError(() => loadRecording(f), f, undefined, /no data rows/);
  });
  it('an empty file', () => {
    const f = csv('');
    expectInputError(() => loadRecording(f), f, undefined, /file is empty/);
  });
  it('a missing file', () => {
    const f = path.join(dir, 'absent.csv');
    expectInputError(() => loadRecording(f), f, undefined, /recording not found/);
  });
  it('a header naming a column twice', () => {
    const f = csv(['a,b,a,label', '1,2,3,x'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f }), f, 1, /names column "a" twice/);
  });
});

describe('generic CSV: bad input names file and line', () => {
  it('a missing label column', () => {
    const f = csv(['f1,f2,class', '1,2,a'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f }), f, 1, /missing label column "label"; the header has: f1, f2, class/);
  });
  it('a missing feature column', () => {
    const f = csv(['f1,f2,label', '1,2,a'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f, featureColumns: ['f1', 'f3'] }), f, 1, /missing feature column "f3"/);
  });
  it('a non-numeric feature further down', () => {
    const f = csv(['f1,f2,label', '1,2,a', '3,4,b', '5,x,a'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f }), f, 4, /column "f2" is "x", expected a number/);
  });
  it('an empty label', () => {
    const f = csv(['f1,label', '1,a', '2,'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f }), f, 3, /label column "label" is empty/);
  });
  it('a label outside the given classes', () => {
    const f = csv(['f1,label', '1,cat', '2,dog', '3,cow'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f, classes: ['cat', 'dog'] }), f, 4, /unknown label "cow"; known labels: cat, dog/);
  });
  it('too few rows for one window, saying how many it has and needs', () => {
    const f = csv(['f1,label', '1,a', '2,a', '3,b'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f, window: 4 }), f, undefined, /too few samples for one window: it has 3 samples .*one window needs 4/);
  });
  it('a non-numeric column is an error, not dropped (issue 16 #12)', () => {
    const f = csv(['name,label', 'x,a'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f }), f, 2, /column "name" is "x", expected a number; .*--channels/);
  });
  it('no feature column besides the label', () => {
    const f = csv(['timestamp,label', '1,a'].join('\n'));
    expectInputError(() => loadGenericCsv({ file: f }), f, 1, /no feature column besides "label"/);
  });
  it('a malformed row in a stream', () => {
    const f = csv(['f1,f2,label', '1,2,a', '3,b'].join('\n'));
    expectInputError(() => loadCsvRecording(f), f, 3, /malformed row: 2 columns, the header has 3 \(f1,f2,label\)/);
  });
  it('a missing file', () => {
    const f = path.join(dir, 'nothing.csv');
    expectInputError(() => loadGenericCsv({ file: f }), f, undefined, /CSV file not found/);
  });
});
