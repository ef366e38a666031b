/**
 * A generic labelled CSV: a header line, one row per sample, numeric feature columns and a label
 * column. Either every row is one example, or the rows are a uniform stream cut into windows.
 */
import { statSync } from 'node:fs';
import type { Dataset } from './dataset.ts';
import { InputError, TbnError } from '../errors.ts';
import { type CsvTable, columnIndex, type LoadProgress, listNames, parseCsv, parseNumberCell, progressReporter, readTextFile } from './csv.ts';
import { type Recording, windowGeometryInSamples, windowsToDataset } from './recording.ts';
import { DEFAULT_RATE, checkRate } from './sp-sw-har.ts';

export interface GenericCsvOptions {
  file: string;
  /** Default "label". */
  labelColumn?: string;
  /** Default: every other column except one named "timestamp"; each must be numeric in every row (leave one out by listing the others). */
  featureColumns?: string[];
  /** Class names in index order; default: the labels found, sorted (numerically when all are integers). */
  classes?: string[];
  /** Window length in rows; without it every row is one example. */
  window?: number;
  /** Fraction of a window shared with the next (default 0.5). */
  overlap?: number;
  /** Progress lines while a big file loads. */
  progress?: LoadProgress;
  /** The rows' sample rate in Hz when they are windowed as a stream (recorded in the dataset). */
  rate?: number;
}

export interface CsvRecordingOptions {
  labelColumn?: string;
  featureColumns?: string[];
  classes?: string[];
  /** The stream's sample rate in Hz (default 50); rows are taken as already uniform. */
  rate?: number;
  subject?: string;
  progress?: LoadProgress;
}

/** A header cell `name[unit]` -> name and unit (e.g. `ax[m/s2]`); a plain name has unit "". */
export function splitUnit(header: string): { name: string; unit: string } {
  const m = /^(.*\S)\s*\[([^\]]*)\]$/.exec(header);
  return m ? { name: m[1] as string, unit: (m[2] as string).trim() } : { name: header, unit: '' };
}

/** Column of a feature given by its full header text or by its name without the `[unit]`. */
function featureIndex(table: CsvTable, name: string): number {
  if (table.header.includes(name)) return columnIndex(table, name, 'feature column');
  const bare = table.header.map((h) => splitUnit(h).name);
  const i = bare.indexOf(name);
  return i >= 0 && bare.lastIndexOf(name) === i ? i : columnIndex(table, name, 'feature column');
}

interface ParsedCsv {
  table: CsvTable;
  /** Feature names, without a `[unit]` suffix. */
  features: string[];
  /** Units from `name[unit]` headers; undefined when no feature states one. */
  units?: string[];
  classes: string[];
  x: Float32Array;
  y: Int32Array;
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function sortLabels(labels: string[]): string[] {
  const allInts = labels.every((l) => /^-?\d+$/.test(l));
  return [...labels].sort(allInts ? (a, b) => Number(a) - Number(b) : undefined);
}

function readLabelledCsv(file: string, labelColumn: string, featureColumns: string[] | undefined, classes: string[] | undefined, progress?: LoadProgress): ParsedCsv {
  if (progress && fileBytes(file) > 16 * 1024 * 1024) progress(`reading ${file} (${(fileBytes(file) / 1048576).toFixed(0)} MB) ...`);
  const table = parseCsv(file, readTextFile(file, 'CSV file'), progress);
  const lCol = columnIndex(table, labelColumn, 'label column');
  if (table.rows.length === 0) throw new InputError(file, undefined, 'no data rows after the header');
  let fCols: number[];
  if (featureColumns) {
    if (featureColumns.length === 0) throw new TbnError('E_OPTION', 'no feature columns selected');
    fCols = featureColumns.map((c) => featureIndex(table, c));
    if (fCols.includes(lCol)) throw new TbnError('E_OPTION', `column "${labelColumn}" cannot be both the label and a feature`);
  } else {
    // Every column is a feature unless the user lists the features: a typo in the first row must not
    // silently drop a column (it is an error there as in any other row).
    fCols = table.header.map((_, i) => i).filter((i) => i !== lCol && table.header[i] !== 'timestamp');
    if (fCols.length === 0) throw new InputError(file, table.headerLine, `no feature column besides "${labelColumn}" (header: ${listNames(table.header)})`);
  }
  const hint = featureColumns ? '' : '; every column except the label and "timestamp" is a feature unless you list the features (--channels)';
  const n = table.rows.length;
  const F = fCols.length;
  const texts = table.rows.map((r) => r[lCol] as string);
  texts.forEach((t, r) => {
    if (t === '') throw new InputError(file, table.lines[r], `malformed row: the label column "${labelColumn}" is empty`);
  });
  const names = classes ? [...classes] : sortLabels([...new Set(texts)]);
  const index = new Map(names.map((c, i) => [c, i]));
  const x = new Float32Array(n * F);
  const y = new Int32Array(n);
  const report = progressReporter(file, 'rows parsed', n, progress);
  for (let r = 0; r < n; r++) {
    report(r);
    for (let f = 0; f < F; f++) x[r * F + f] = parseNumberCell(table, r, fCols[f] as number, hint);
    const k = index.get(texts[r] as string);
    if (k === undefined) throw new InputError(file, table.lines[r], `unknown label "${texts[r]}"; known labels: ${listNames(names)}`);
    y[r] = k;
  }
  const split = fCols.map((i) => splitUnit(table.header[i] as string));
  const units = split.some((s) => s.unit !== '') ? split.map((s) => s.unit) : undefined;
  return { table, features: split.map((s) => s.name), ...(units ? { units } : {}), classes: names, x, y };
}

/** The rows of a CSV as a uniform stream (no resampling), for windowing or replay. */
export function loadCsvRecording(file: string, opts: CsvRecordingOptions = {}): Recording {
  const rate = checkRate(opts.rate ?? DEFAULT_RATE);
  const p = readLabelledCsv(file, opts.labelColumn ?? 'label', opts.featureColumns, opts.classes, opts.progress);
  return { file, subject: opts.subject ?? file, rate, channels: p.features, ...(p.units ? { units: p.units } : {}), samples: p.x, labels: p.y, count: p.y.length, classes: p.classes };
}

export function loadGenericCsv(opts: GenericCsvOptions): Dataset {
  const labelColumn = opts.labelColumn ?? 'label';
  if (opts.window === undefined) {
    if (opts.overlap !== undefined) throw new TbnError('E_OPTION', 'overlap needs a window length');
    const p = readLabelledCsv(opts.file, labelColumn, opts.featureColumns, opts.classes, opts.progress);
    return { name: opts.file, x: p.x, y: p.y, count: p.y.length, shape: [1, 1, p.features.length], classes: p.classes, channels: p.features, ...(p.units ? { units: p.units } : {}) };
  }
  const geometry = windowGeometryInSamples(opts.window, opts.overlap);
  const rec = loadCsvRecording(opts.file, { labelColumn, featureColumns: opts.featureColumns, classes: opts.classes, progress: opts.progress, ...(opts.rate !== undefined ? { rate: opts.rate } : {}) });
  const d = windowsToDataset(opts.file, [rec], geometry, rec.classes as string[]);
  delete d.groups;
  return d;
}
