/** Small strict CSV reader shared by the data loaders: every problem names the file and 1-based line. */
import { existsSync } from 'node:fs';
import { constants } from 'node:buffer';
import { InputError } from '../errors.ts';
import { readRegularFile } from '../io/files.ts';

export interface CsvTable {
  file: string;
  header: string[];
  /** 1-based line number of the header. */
  headerLine: number;
  /** Data rows (header excluded), each with exactly header.length cells. */
  rows: string[][];
  /** 1-based line number in the file of each data row. */
  lines: number[];
}

/** The largest text file that can be decoded into one string. */
export const MAX_TEXT_FILE_BYTES = constants.MAX_STRING_LENGTH;

/** Reads a regular text file (refusing devices, FIFOs, folders and anything over MAX_TEXT_FILE_BYTES). */
export function readTextFile(file: string, what = 'file'): string {
  if (!existsSync(file)) throw new InputError(file, undefined, `${what} not found`);
  // Other failures (EACCES, EISDIR, a FIFO) are TbnErrors naming the file and the error code.
  return readRegularFile(file, MAX_TEXT_FILE_BYTES, what).toString('utf8');
}

/** At most `max` names, then how many more: a 20,000-column header is not one line of names. */
export function listNames(names: readonly string[], max = 12, sep = ', '): string {
  if (names.length <= max) return names.join(sep);
  return `${names.slice(0, max).join(sep)}${sep}... (${(names.length - max).toLocaleString('en-US')} more)`;
}

function splitCells(line: string): string[] {
  return line.split(',').map((c) => {
    const t = c.trim();
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
  });
}

/** Reports long loads: called with a line such as "big.csv: 1,200,000 of 4,000,000 rows read", at most every PROGRESS_MS. */
export type LoadProgress = (text: string) => void;
export const PROGRESS_MS = 2000;

/** A throttled reporter for `what` ("rows read", "rows parsed"); silent for loads shorter than PROGRESS_MS. */
export function progressReporter(file: string, what: string, total: number, progress: LoadProgress | undefined): (done: number) => void {
  if (!progress) return () => undefined;
  let next = Date.now() + PROGRESS_MS;
  return (done) => {
    // Date.now() every 4,096 rows only: the check must not slow the loop it reports on.
    if ((done & 4095) !== 0 || Date.now() < next) return;
    next = Date.now() + PROGRESS_MS;
    progress(`${file}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${what}`);
  };
}

/**
 * Parses comma-separated text with a header line. Blank lines carry no data and are passed over;
 * a row with the wrong number of cells is an error (never dropped).
 */
export function parseCsv(file: string, text: string, progress?: LoadProgress): CsvTable {
  // CRLF, LF and CR-only (old Mac) line ends are all line ends.
  const all = text.split(/\r\n|\n|\r/);
  let headerLine = -1;
  for (let i = 0; i < all.length; i++) {
    if ((all[i] as string).trim() !== '') {
      headerLine = i;
      break;
    }
  }
  if (headerLine < 0) throw new InputError(file, undefined, 'file is empty (expected a header line)');
  const header = splitCells((all[headerLine] as string).replace(/^\uFEFF/, ''));
  const seen = new Set<string>();
  header.forEach((name, col) => {
    if (name === '') throw new InputError(file, headerLine + 1, `header column ${col + 1} has no name`);
    if (seen.has(name)) throw new InputError(file, headerLine + 1, `header names column "${name}" twice`);
    seen.add(name);
  });
  const rows: string[][] = [];
  const lines: number[] = [];
  const report = progressReporter(file, 'lines read', all.length, progress);
  for (let i = headerLine + 1; i < all.length; i++) {
    report(i);
    const raw = all[i] as string;
    if (raw.trim() === '') continue;
    const cells = splitCells(raw);
    if (cells.length !== header.length) {
      const quoted = /"[^"]*,[^"]*"/.test(raw) ? '; a quoted field holds a comma, which this reader does not support: remove the comma or the quotes' : '';
      throw new InputError(
        file,
        i + 1,
        `malformed row: ${cells.length} column${cells.length === 1 ? '' : 's'}, the header has ${header.length} (${header.length <= 12 ? header.join(',') : listNames(header)})${quoted}`,
      );
    }
    rows.push(cells);
    lines.push(i + 1);
  }
  return { file, header, headerLine: headerLine + 1, rows, lines };
}

export function columnIndex(t: Pick<CsvTable, 'file' | 'header' | 'headerLine'>, name: string, role = 'column'): number {
  const i = t.header.indexOf(name);
  if (i < 0) throw new InputError(t.file, t.headerLine, `missing ${role} "${name}"; the header has: ${listNames(t.header)}`);
  return i;
}

/** Plain decimal numbers only (no hex, no Infinity/NaN), so typos are caught. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function isNumericCell(cell: string): boolean {
  return DECIMAL.test(cell) && Number.isFinite(Number(cell));
}

/**
 * The cell as a number that survives float32 storage (data is kept in Float32Arrays: 1e39 would
 * become Infinity and poison every statistic). `hint` is appended to a non-numeric cell's message.
 */
export function parseNumberCell(t: CsvTable, row: number, col: number, hint = ''): number {
  const cell = (t.rows[row] as string[])[col] as string;
  const v = Number(cell);
  if (!isNumericCell(cell)) {
    const shown = cell.length > 40 ? `${cell.slice(0, 40)}...` : cell;
    throw new InputError(t.file, t.lines[row], `malformed row: column "${t.header[col]}" is ${cell === '' ? 'empty' : `"${shown}"`}, expected a number${hint}`);
  }
  if (!Number.isFinite(Math.fround(v))) {
    throw new InputError(t.file, t.lines[row], `column "${t.header[col]}" is ${cell}, outside the float32 range (magnitude at most 3.4e38)`);
  }
  return v;
}
