/**
 * `tbn monitor` as a library: watches a board predicting on its own sensor (PREDICTION frames of
 * stream 0xFFFF) and its counters (STATUS every second), and reports every loss the board counts:
 * samples lost to FIFO overflow, windows skipped (overrun), errors.
 */
import { TbnError } from '../errors.ts';
import * as F from '../protocol/frames.ts';
import { querySensor, setSensorMode } from '../record/record.ts';
import { DeviceClient } from '../stream/client.ts';
import type { Link } from '../stream/link.ts';

export interface MonitorPrediction {
  type: 'prediction';
  /** Seconds since monitoring started (host clock). */
  t: number;
  cls: number;
  label: string;
  /** The window's end, in sensor samples since the sensor started. */
  endSeq: number;
  /** Inference time on the board. */
  micros: number;
  /** Host time since the previous prediction, ms (0 for the first). */
  intervalMs: number;
  logits: number[];
}

export interface MonitorStatus {
  type: 'status';
  t: number;
  counters: Record<string, number>;
  /** Changes since monitoring started. */
  since: { sensorSamples: number; sensorLost: number; sensorOverflows: number; overruns: number; predictions: number };
}

export interface MonitorReport {
  type: 'summary';
  seconds: number;
  sensor: { kind: string; rateHz: number; mode: number };
  predictions: number;
  classCounts: Record<string, number>;
  inferenceMicros: { mean: number; max: number };
  since: MonitorStatus['since'];
  counters: Record<string, number>;
  errors: { code: number; arg: number; message: string }[];
}

export interface MonitorOptions {
  seconds?: number;
  /** Stop after this many predictions. */
  count?: number;
  statusEveryMs?: number;
  onPrediction?: (p: MonitorPrediction) => void;
  onStatus?: (s: MonitorStatus) => void;
  onError?: (e: F.ErrorMessage) => void;
  signal?: AbortSignal;
  /** Give up when the board sends nothing for this long (default 10 s). */
  stallMs?: number;
}

const WATCHED = ['sensorSamples', 'sensorLost', 'sensorOverflows', 'overruns', 'predictions'] as const;

export async function monitorDevice(link: Link, opts: MonitorOptions): Promise<MonitorReport> {
  const client = new DeviceClient(link);
  const info = await client.hello();
  if (!info.modelOk) throw new TbnError('E_DEVICE', `the board has no usable model: ${info.error}`);
  const sensor = await querySensor(client);
  const base = (await client.status()).counters;
  const started = performance.now();
  const t = () => (performance.now() - started) / 1000;
  const since = (c: Record<string, number>) => Object.fromEntries(WATCHED.map((k) => [k, (c[k] ?? 0) - (base[k] ?? 0)])) as MonitorStatus['since'];
  const classCounts: Record<string, number> = {};
  // Running sum and max, not a list: a session may last days (a spread into Math.max fails past ~100k).
  const micros = { sum: 0, count: 0, max: 0 };
  const errors: F.ErrorMessage[] = [];
  let last = base;
  let lastPrediction = 0;
  let lastRx = Date.now();
  let predictions = 0;
  let ended = false;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const finish = () => {
    ended = true;
    resolveFinished();
  };
  const unlisten = client.listen((m) => {
    lastRx = Date.now();
    if (ended && m.type !== 'status') return;
    if (m.type === 'prediction' && m.stream === F.P.SENSOR_STREAM) {
      const now = performance.now();
      const label = info.labels[m.cls] ?? String(m.cls);
      classCounts[label] = (classCounts[label] ?? 0) + 1;
      micros.sum += m.micros;
      micros.count++;
      if (m.micros > micros.max) micros.max = m.micros;
      predictions++;
      opts.onPrediction?.({ type: 'prediction', t: t(), cls: m.cls, label, endSeq: m.endSeq, micros: m.micros, intervalMs: lastPrediction ? now - lastPrediction : 0, logits: Array.from(m.logits) });
      lastPrediction = now;
      if (opts.count !== undefined && predictions >= opts.count) finish();
    } else if (m.type === 'status') {
      last = m.counters;
      opts.onStatus?.({ type: 'status', t: t(), counters: m.counters, since: since(m.counters) });
    } else if (m.type === 'error') {
      errors.push(m);
      opts.onError?.(m);
    }
  });
  const restore = sensor.mode;
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  const onAbort = () => finish();
  try {
    if (!(sensor.mode & F.P.MODE_PREDICT)) await setSensorMode(client, sensor.mode | F.P.MODE_PREDICT);
    opts.signal?.addEventListener('abort', onAbort);
    if (opts.signal?.aborted) finish();
    if (opts.seconds !== undefined) timer = setTimeout(finish, opts.seconds * 1000);
    const stallMs = opts.stallMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      poll = setInterval(() => {
        if (Date.now() - lastRx > stallMs) reject(new TbnError('E_STALL', `the board stopped answering (nothing for ${(stallMs / 1000).toFixed(0)} s)`));
        try {
          client.write(F.statusRequest());
        } catch (e) {
          reject(e); // a failed port (E_PORT) ends the wait, not the process
        }
      }, opts.statusEveryMs ?? 1000);
      void finished.then(resolve);
    });
    last = (await client.status()).counters;
  } finally {
    if (timer) clearTimeout(timer);
    if (poll) clearInterval(poll);
    opts.signal?.removeEventListener('abort', onAbort);
    unlisten();
    if (!(restore & F.P.MODE_PREDICT)) await setSensorMode(client, restore).catch(() => {});
  }
  return {
    type: 'summary',
    seconds: t(),
    sensor: { kind: sensor.kindName, rateHz: sensor.rateHz, mode: sensor.mode },
    predictions,
    classCounts,
    inferenceMicros: { mean: micros.count ? micros.sum / micros.count : 0, max: micros.max },
    since: since(last),
    counters: last,
    errors: errors.map((e) => ({ code: e.code, arg: e.arg, message: e.message })),
  };
}
