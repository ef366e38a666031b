/** Small strict CSV reader shared by the data loaders: every problem names the file and 1-based line. */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.ts';

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

export function readTextFile(file: string, what = 'file'): string {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new InputError(file, undefined, `${what} not found`);
  }
  if (!isFile) throw new InputError(file, undefined, `${what} is not a regular file`);
  return readFileSync(file, 'utf8');
}

function splitCells(line: string): string[] {
  return line.split(',').map((c) => {
    const t = c.trim();
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
  });
}

/**
 * Parses comma-separated text with a header line. Blank lines carry no data and are passed over;
 * a row with the wrong number of cells is an error (never dropped).
 */
export function parseCsv(file: string, text: string): CsvTable {
  const all = text.split('\n');
  let headerLine = -1;
  for (let i = 0; i < all.length; i++) {
    if ((all[i] as string).trim() !== '') {
      headerLine = i;
      break;
    }
  }
  if (headerLine < 0) throw new InputError(file, undefined, 'file is empty (expected a header line)');
  const header = splitCells((all[headerLine] as string).replace(/^\uFEFF/, '').replace(/\r$/, ''));
  const seen = new Set<string>();
  header.forEach((name, col) => {
    if (name === '') throw new InputError(file, headerLine + 1, `header column ${col + 1} has no name`);
    if (seen.has(name)) throw new InputError(file, headerLine + 1, `header names column "${name}" twice`);
    seen.add(name);
  });
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = headerLine + 1; i < all.length; i++) {
    const raw = (all[i] as string).replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const cells = splitCells(raw);
    if (cells.length !== header.length) {
      throw new InputError(
        file,
        i + 1,
        `malformed row: ${cells.length} column${cells.length === 1 ? '' : 's'}, the header has ${header.length} (${header.join(',')})`,
      );
    }
    rows.push(cells);
    lines.push(i + 1);
  }
  return { file, header, headerLine: headerLine + 1, rows, lines };
}

export function columnIndex(t: Pick<CsvTable, 'file' | 'header' | 'headerLine'>, name: string, role = 'column'): number {
  const i = t.header.indexOf(name);
  if (i < 0) throw new InputError(t.file, t.headerLine, `missing ${role} "${name}"; the header has: ${t.header.join(', ')}`);
  return i;
}

/** Plain decimal numbers only (no hex, no Infinity/NaN), so typos are caught. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function isNumericCell(cell: string): boolean {
  return DECIMAL.test(cell) && Number.isFinite(Number(cell));
}

export function parseNumberCell(t: CsvTable, row: number, col: number): number {
  const cell = (t.rows[row] as string[])[col] as string;
  const v = Number(cell);
  if (!isNumericCell(cell)) {
    throw new InputError(
      t.file,
      t.lines[row],
      `malformed row: column "${t.header[col]}" is ${cell === '' ? 'empty' : `"${cell}"`}, expected a number`,
    );
  }
  return v;
}
