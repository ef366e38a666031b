/**
 * Writes a recording in the sp-sw-har layout so `tbn train --data-root DIR` reads it unchanged:
 * DIR/sNN/sNN_EE_sw.csv (EE = the subject's next free execution number) with columns
 * x_acc,...,timestamp,label in model units, and DIR/sNN/sNN_EE_sw.gaps.json listing every loss.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';
import { fileErrorMessage, writeFileAtomic } from '../io/files.ts';
import type { Recorded } from './record.ts';

export interface WrittenRecording {
  csv: string;
  gaps: string;
  execution: number;
}

export function checkSubject(subject: string): string {
  if (!/^s\d{2,3}$/.test(subject)) throw new TbnError('E_OPTION', `--subject must look like s01 (s and two or three digits), got "${subject}"`);
  return subject;
}

export function checkLabel(label: string): string {
  if (label.length === 0 || label.length > 63 || !/^[A-Za-z0-9_\-. ]+$/.test(label) || label.trim() !== label) {
    throw new TbnError('E_OPTION', `--label must be 1-63 letters, digits, '_', '-', '.' or inner spaces, got "${label}"`);
  }
  return label;
}

/** The next execution number in DIR/sNN (01 when the folder is new). */
export function nextExecution(dir: string, subject: string): number {
  if (!existsSync(dir)) return 1;
  let max = 0;
  const re = new RegExp(`^${subject}_(\\d+)_sw\\.csv$`);
  for (const f of readdirSync(dir)) {
    const m = re.exec(f);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** Milliseconds written for sample offset k: exact integers at rates that divide 1000. */
function timestamp(t0: number, k: number, rateHz: number): string {
  const t = t0 + (k * 1000) / rateHz;
  return Number.isInteger(t) ? String(t) : t.toFixed(3);
}

export function writeRecording(root: string, subject: string, label: string, rec: Recorded, startMs: number): WrittenRecording {
  checkSubject(subject);
  checkLabel(label);
  if (rec.rows === 0) throw new TbnError('E_RECORD', 'nothing was recorded: no sensor samples arrived');
  const dir = path.join(root, subject);
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new TbnError('E_OUTPUT', `${dir} exists and is not a folder`);
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof TbnError) throw e;
    throw new TbnError('E_OUTPUT', fileErrorMessage(dir, e));
  }
  const execution = nextExecution(dir, subject);
  const base = `${subject}_${String(execution).padStart(2, '0')}_sw`;
  const csv = path.join(dir, `${base}.csv`);
  const gapsFile = path.join(dir, `${base}.gaps.json`);
  const R = rec.columns.length;
  const t0 = Math.round(startMs);
  const lines = [[...rec.columns.map((c) => c.name), 'timestamp', 'label'].join(',')];
  for (let r = 0; r < rec.rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < R; c++) row.push(String(rec.values[r * R + c]));
    row.push(timestamp(t0, rec.offsets[r] as number, rec.sensor.rateHz), label);
    lines.push(row.join(','));
  }
  const gaps = {
    file: path.basename(csv),
    sensor: rec.kind,
    rateHz: rec.sensor.rateHz,
    units: Object.fromEntries(rec.columns.map((c) => [c.name, c.unit])),
    ranges: { accelRangeG: rec.sensor.accelRangeG, gyroRangeDps: rec.sensor.gyroRangeDps },
    rows: rec.rows,
    lostSamples: rec.lost,
    gaps: rec.gaps.map((g) => ({
      afterRow: g.afterRow,
      fromMs: Number(timestamp(t0, g.seq, rec.sensor.rateHz)),
      toMs: Number(timestamp(t0, g.seq + g.samples, rec.sensor.rateHz)),
      lostSamples: g.samples,
      cause: g.cause,
    })),
  };
  try {
    writeFileAtomic(csv, `${lines.join('\n')}\n`);
    writeFileAtomic(gapsFile, `${JSON.stringify(gaps, null, 1)}\n`);
  } catch (e) {
    if (e instanceof TbnError) throw e;
    throw new TbnError('E_OUTPUT', fileErrorMessage(csv, e));
  }
  return { csv, gaps: gapsFile, execution };
}
