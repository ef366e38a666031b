/**
 * Loader for the smartwatch recordings of sp-sw-har (Matey-Sanz et al. 2023, CC BY 4.0):
 * ROOT/sNN/sNN_EE_sw.csv with columns x_acc,y_acc,z_acc,x_gyro,y_gyro,z_gyro,timestamp,label.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from './dataset.ts';
import { InputError, TbnError } from '../errors.ts';
import { columnIndex, parseCsv, parseNumberCell, readTextFile } from './csv.ts';
import { type Recording, type WindowOptions, windowGeometry, windowRecording, windowsToDataset } from './recording.ts';
import { formatSubjects } from './subjects.ts';

export type { Recording, Windows, WindowOptions } from './recording.ts';
export { windowRecording };

export const HAR_CLASSES = ['SEATED', 'STANDING_UP', 'WALKING', 'TURNING', 'SITTING_DOWN'];
export const HAR_CHANNELS = ['x_acc', 'y_acc', 'z_acc', 'x_gyro', 'y_gyro', 'z_gyro'];
export const DEFAULT_RATE = 50;
/** Units of the sp-sw-har columns (its README: accelerometer in m/s², gravity included; gyroscope in rad/s). */
export const HAR_UNITS: Readonly<Record<string, string>> = Object.freeze({
  x_acc: 'm/s2', y_acc: 'm/s2', z_acc: 'm/s2', x_gyro: 'rad/s', y_gyro: 'rad/s', z_gyro: 'rad/s',
});

/** A header in the sp-sw-har layout: a timestamp and a label column and at least one of its sensor columns. */
export function isSpSwHarHeader(header: readonly string[]): boolean {
  return header.includes('timestamp') && header.includes('label') && HAR_CHANNELS.some((c) => header.includes(c));
}

export interface RecordingOptions {
  /** Uniform grid rate in Hz (default 50). */
  rate?: number;
  /** Channels to keep, in this order (default HAR_CHANNELS). */
  channels?: string[];
  timestampColumn?: string;
  labelColumn?: string;
  classes?: string[];
}

export function checkRate(rate: number): number {
  if (!Number.isFinite(rate) || rate <= 0) throw new TbnError('E_OPTION', `rate must be a positive number of Hz, got ${rate}`);
  return rate;
}

/**
 * Reads one recording and resamples it onto a uniform grid at `rate` Hz starting at the first
 * timestamp (ms): channels by linear interpolation, labels from the nearest original sample (the
 * earlier one on a tie). Samples sharing one timestamp are averaged into one (the upstream files
 * contain such repeats); a timestamp that goes backwards is an error.
 */
export function loadRecording(file: string, opts: RecordingOptions = {}): Recording {
  const rate = checkRate(opts.rate ?? DEFAULT_RATE);
  const channels = opts.channels ?? HAR_CHANNELS;
  const classes = opts.classes ?? HAR_CLASSES;
  if (channels.length === 0) throw new TbnError('E_OPTION', 'no channels selected');
  const table = parseCsv(file, readTextFile(file, 'recording'));
  // Name every missing column at once (a recording without z_gyro says so, it is not read some other way).
  const missing = channels.filter((c) => !table.header.includes(c));
  if (missing.length > 0) {
    throw new InputError(file, table.headerLine, `missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}; the header has: ${table.header.join(', ')}`);
  }
  const cols = channels.map((c) => columnIndex(table, c, 'column'));
  const tCol = columnIndex(table, opts.timestampColumn ?? 'timestamp', 'column');
  const lCol = columnIndex(table, opts.labelColumn ?? 'label', 'column');
  const n = table.rows.length;
  if (n === 0) throw new InputError(file, undefined, 'too few samples for one window: the file has no data rows');
  const C = channels.length;
  const classIndex = new Map(classes.map((c, i) => [c, i]));

  // Parse, merging runs of equal timestamps by averaging.
  const times: number[] = [];
  const values: number[] = [];
  const labels: number[] = [];
  let runLength = 0;
  for (let r = 0; r < n; r++) {
    const t = parseNumberCell(table, r, tCol);
    const labelText = (table.rows[r] as string[])[lCol] as string;
    const label = classIndex.get(labelText);
    if (label === undefined) {
      throw new InputError(file, table.lines[r], `unknown label "${labelText}"; known labels: ${classes.join(', ')}`);
    }
    const prev = times.length > 0 ? (times[times.length - 1] as number) : undefined;
    if (prev !== undefined && t < prev) {
      throw new InputError(file, table.lines[r], `timestamp ${table.rows[r]![tCol]} is before the previous one (${table.rows[r - 1]![tCol]} on line ${table.lines[r - 1]}); timestamps must not decrease`);
    }
    if (prev !== undefined && t === prev) {
      const base = values.length - C;
      runLength++;
      for (let c = 0; c < C; c++) {
        const v = parseNumberCell(table, r, cols[c] as number);
        values[base + c] = (values[base + c] as number) + (v - (values[base + c] as number)) / runLength;
      }
      continue;
    }
    runLength = 1;
    times.push(t);
    labels.push(label);
    for (let c = 0; c < C; c++) values.push(parseNumberCell(table, r, cols[c] as number));
  }

  const m = times.length;
  const t0 = times[0] as number;
  const stepMs = 1000 / rate;
  const count = Math.floor(((times[m - 1] as number) - t0) / stepMs + 1e-9) + 1;
  const samples = new Float32Array(count * C);
  const out = new Int32Array(count);
  let j = 0;
  for (let k = 0; k < count; k++) {
    const t = t0 + k * stepMs;
    while (j + 1 < m && (times[j + 1] as number) <= t) j++;
    if (j + 1 >= m) {
      for (let c = 0; c < C; c++) samples[k * C + c] = values[j * C + c] as number;
      out[k] = labels[j] as number;
      continue;
    }
    const ta = times[j] as number;
    const tb = times[j + 1] as number;
    const f = (t - ta) / (tb - ta);
    for (let c = 0; c < C; c++) {
      const a = values[j * C + c] as number;
      const b = values[(j + 1) * C + c] as number;
      samples[k * C + c] = a + (b - a) * f;
    }
    out[k] = (t - ta <= tb - t ? labels[j] : labels[j + 1]) as number;
  }
  const units = channels.map((c) => HAR_UNITS[c] ?? '');
  return { file, subject: subjectOf(file), rate, channels: [...channels], ...(units.some((u) => u !== '') ? { units } : {}), samples, labels: out, count, classes: [...classes] };
}

function subjectOf(file: string): string {
  const dir = path.basename(path.dirname(path.resolve(file)));
  const m = /^(s\d+)_/.exec(path.basename(file));
  return m ? (m[1] as string) : dir;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The recording files of each subject (ROOT/sNN/*.csv, sorted), checking every folder exists and holds some. */
export function listRecordings(root: string, subjects: string[]): string[] {
  if (!isDir(root)) throw new InputError(root, undefined, 'sp-sw-har data folder not found (expected ROOT/s01/s01_01_sw.csv ...)');
  if (subjects.length === 0) throw new InputError(root, undefined, 'empty split: no subjects selected');
  const files: string[] = [];
  for (const s of subjects) {
    const dir = path.join(root, s);
    if (!isDir(dir)) {
      const present = readdirSync(root).filter((d) => /^s\d+$/.test(d) && isDir(path.join(root, d))).sort();
      throw new InputError(dir, undefined, `no folder for subject ${s} (subjects present: ${present.length ? formatSubjects(present) : 'none'})`);
    }
    const csvs = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
    if (csvs.length === 0) throw new InputError(dir, undefined, `subject ${s} has no .csv recordings`);
    for (const f of csvs) files.push(path.join(dir, f));
  }
  return files;
}

export interface SpSwHarOptions extends WindowOptions {
  root: string;
  subjects: string[];
  rate?: number;
  channels?: string[];
  /** Class names in index order (default HAR_CLASSES); recordingClasses finds them in a folder of one's own. */
  classes?: string[];
}

/**
 * The classes in the label column of these recordings: HAR_CLASSES (in the data set's order) when
 * every label is one of them, else HAR's classes present followed by the others sorted, so a folder
 * written by `tbn record` with labels of one's own trains unchanged.
 */
export function recordingClasses(files: string[], labelColumn = 'label'): string[] {
  const seen = new Set<string>();
  for (const f of files) {
    const text = readTextFile(f, 'recording');
    const lines = text.split(/\r?\n/);
    const col = (lines[0] ?? '').split(',').map((c) => c.trim()).indexOf(labelColumn);
    if (text.includes('"') || col < 0) {
      // Quoted fields (or no label column, for the error message): the full CSV reader.
      const table = parseCsv(f, text);
      const c = columnIndex(table, labelColumn, 'column');
      for (const row of table.rows) seen.add(row[c] as string);
      continue;
    }
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.trim() !== '') seen.add((line.split(',')[col] ?? '').trim());
    }
  }
  if ([...seen].every((l) => HAR_CLASSES.includes(l))) return [...HAR_CLASSES];
  return [...HAR_CLASSES.filter((c) => seen.has(c)), ...[...seen].filter((l) => !HAR_CLASSES.includes(l)).sort()];
}

/** Windows of every recording of the given subjects: shape [1, windowLen, channels], groups = subject ids. */
export function loadSpSwHar(opts: SpSwHarOptions): Dataset {
  const rate = checkRate(opts.rate ?? DEFAULT_RATE);
  const geometry = windowGeometry(rate, opts);
  const files = listRecordings(opts.root, opts.subjects);
  const classes = opts.classes ?? HAR_CLASSES;
  const recs = files.map((f) => loadRecording(f, { rate, channels: opts.channels, classes }));
  const d = windowsToDataset(`sp-sw-har ${formatSubjects(opts.subjects)}`, recs, geometry, classes);
  return d;
}

/** The folder holding package.json above this module (the repo root). */
export function findRepoRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** ../shared/data/sp-sw-har beside the repo root, or undefined when it is not there. */
export function defaultHarRoot(repoRoot: string | undefined = findRepoRoot()): string | undefined {
  if (repoRoot === undefined) return undefined;
  const root = path.resolve(repoRoot, '../shared/data/sp-sw-har');
  return isDir(root) ? root : undefined;
}
