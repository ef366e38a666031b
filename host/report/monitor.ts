/**
 * `tbn monitor --json` output (one JSON object per line: predictions, counters every second, errors, then a
 * summary) as the report's device section reads it. A board predicting on its own sensor has no true label.
 */
import { TbnError } from '../errors.ts';

export interface MonitorLog {
  predictions: { t: number; cls: number; label: string; micros: number; intervalMs: number }[];
  /** The last counters the board sent (the summary's, else the last status line's). */
  counters: Record<string, number>;
  /** Losses since monitoring started, when the log has them. */
  since?: Record<string, number>;
  seconds: number;
  sensor?: { kind: string; rateHz: number };
  errors: { code: number; message: string }[];
}

/** True when the text looks like JSON lines with a `type` on the first object (monitor), not one JSON document. */
export function isMonitorLog(text: string): boolean {
  const first = text.split('\n').find((l) => l.trim() !== '');
  if (!first) return false;
  try {
    const o = JSON.parse(first) as { type?: unknown };
    return typeof o === 'object' && o !== null && typeof o.type === 'string' && text.trim().includes('\n');
  } catch {
    return false;
  }
}

export function parseMonitorLog(text: string, file: string): MonitorLog {
  const log: MonitorLog = { predictions: [], counters: {}, seconds: 0, errors: [] };
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new TbnError('E_INPUT', `${file}:${i + 1}: not a tbn monitor --json line (${(e as Error).message})`);
    }
    const num = (k: string): number => {
      const v = o[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TbnError('E_INPUT', `${file}:${i + 1}: "${k}" must be a number in a ${String(o.type)} line`);
      return v;
    };
    if (o.type === 'prediction') {
      log.predictions.push({ t: num('t'), cls: num('cls'), label: typeof o.label === 'string' ? o.label : String(o.cls), micros: num('micros'), intervalMs: num('intervalMs') });
    } else if (o.type === 'status') {
      if (typeof o.counters === 'object' && o.counters !== null) log.counters = o.counters as Record<string, number>;
      if (typeof o.since === 'object' && o.since !== null) log.since = o.since as Record<string, number>;
      log.seconds = num('t');
    } else if (o.type === 'error') {
      log.errors.push({ code: num('code'), message: typeof o.message === 'string' ? o.message : '' });
    } else if (o.type === 'summary') {
      if (typeof o.counters === 'object' && o.counters !== null) log.counters = o.counters as Record<string, number>;
      if (typeof o.since === 'object' && o.since !== null) log.since = o.since as Record<string, number>;
      log.seconds = num('seconds');
      const s = o.sensor as { kind?: unknown; rateHz?: unknown } | undefined;
      if (s && typeof s.kind === 'string' && typeof s.rateHz === 'number') log.sensor = { kind: s.kind, rateHz: s.rateHz };
    } else {
      throw new TbnError('E_INPUT', `${file}:${i + 1}: unknown line type ${JSON.stringify(o.type)} (expected prediction, status, error or summary)`);
    }
  });
  if (log.predictions.length === 0) throw new TbnError('E_INPUT', `${file}: no prediction lines (a tbn monitor --json log)`);
  return log;
}
