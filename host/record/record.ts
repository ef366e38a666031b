/**
 * `tbn record` as a library: puts the board's sensor into record mode, collects its RAW frames
 * (int16 counts), converts them to model units and keeps every loss visible: a sequence gap is a
 * gap in the timestamps and an entry in the gaps list, with its cause (FIFO overflow on the board,
 * or frames lost on the link).
 */
import { TbnError } from '../errors.ts';
import * as F from '../protocol/frames.ts';
import { harColumnName, harUnit, RAW_CHANNELS, type SensorKind, type Unit, unitsPerCount } from '../sensors/spec.ts';
import { DeviceClient } from '../stream/client.ts';
import type { Link } from '../stream/link.ts';

/** Column names and units `tbn record` writes (the sp-sw-har layout). */
export const RECORD_COLUMNS: Record<SensorKind, { name: string; unit: Unit }[]> = {
  mpu6050: RAW_CHANNELS.mpu6050.map((r) => ({ name: harColumnName(r), unit: harUnit(r.quantity) })),
  bangle: RAW_CHANNELS.bangle.map((r) => ({ name: harColumnName(r), unit: harUnit(r.quantity) })),
};

export interface RecordGap {
  /** Rows written before the gap. */
  afterRow: number;
  /** Sensor sample index of the first lost sample, and how many were lost. */
  seq: number;
  samples: number;
  cause: 'fifo-overflow' | 'link';
}

export interface Recorded {
  sensor: F.SensorMessage;
  kind: SensorKind;
  columns: { name: string; unit: Unit }[];
  /** Model units per count of each column. */
  scales: number[];
  /** rows x columns values in model units. */
  values: number[];
  /** Sensor sample index of each row (relative to the first). */
  offsets: number[];
  rows: number;
  /** Samples the recording spans (rows + lost). */
  span: number;
  lost: number;
  gaps: RecordGap[];
}

export interface RecordProgress {
  seconds: number;
  target: number;
  rows: number;
  lost: number;
  /** Per column: [min, max] over the samples since the last progress call. */
  levels: [number, number][];
}

export interface RecordOptions {
  seconds: number;
  /** Give up when no RAW frame arrives for this long (default 5 s). */
  stallMs?: number;
  onProgress?: (p: RecordProgress) => void;
  /** Ends the recording early (Ctrl-C): what was captured is returned. */
  signal?: AbortSignal;
}

const KINDS: Record<string, SensorKind> = { mpu6050: 'mpu6050', bangle: 'bangle' };

/** Asks the board which sensor it has; fails with the board's own reason when it has none that runs. */
export async function querySensor(client: DeviceClient, startMs = 3000): Promise<F.SensorMessage> {
  let s = await client.request(F.sensorRequest(), (m): m is F.SensorMessage => m.type === 'sensor', 'SENSOR');
  // Not ok and no reason: the sensor is still starting (the MPU-6050 takes 100 ms after its reset).
  for (const until = Date.now() + startMs; !s.ok && !s.error && s.kind !== F.P.KIND_NONE && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 100));
    s = await client.request(F.sensorRequest(), (m): m is F.SensorMessage => m.type === 'sensor', 'SENSOR');
  }
  if (!s.ok && !s.error && s.kind !== F.P.KIND_NONE) throw new TbnError('E_SENSOR', `the board's ${s.kindName} did not finish starting within ${startMs / 1000} s`);
  if (s.kind === F.P.KIND_NONE) throw new TbnError('E_SENSOR', `the board has no sensor configured (${s.error || 'no sensor in tbn.cfg'}): build the app with tbn build --sensor mpu6050|bangle`);
  if (!s.ok) throw new TbnError('E_SENSOR', `the board's ${s.kindName} does not run: ${s.error}`);
  return s;
}

/** Sets the sensor mode; the board answers ACK or ERROR (its message is thrown). */
export async function setSensorMode(client: DeviceClient, mode: number): Promise<void> {
  const r = await client.request(F.sensorMode(mode), (m): m is F.AckMessage | F.ErrorMessage => m.type === 'ack' || m.type === 'error', 'SENSOR_MODE acknowledgement');
  if (r.type === 'error') throw new TbnError('E_DEVICE', `the board refused sensor mode ${mode}: ${r.message} (error ${r.code})`);
}

export async function recordFromDevice(link: Link, opts: RecordOptions): Promise<Recorded> {
  const client = new DeviceClient(link);
  const sensor = await querySensor(client);
  const kind = KINDS[sensor.kindName];
  if (!kind) throw new TbnError('E_SENSOR', `the board reports an unknown sensor kind ${sensor.kind}`);
  const columns = RECORD_COLUMNS[kind];
  if (sensor.channels !== RAW_CHANNELS[kind].length) throw new TbnError('E_SENSOR', `the board's ${kind} reports ${sensor.channels} channels, expected ${RAW_CHANNELS[kind].length}`);
  if (!(sensor.rateHz > 0)) throw new TbnError('E_SENSOR', `the board's ${kind} reports no sample rate`);
  const ranges = { accelRangeG: sensor.accelRangeG, gyroRangeDps: sensor.gyroRangeDps };
  const scales = columns.map((c) => unitsPerCount(kind, c.unit, ranges));
  const target = Math.round(opts.seconds * sensor.rateHz);
  const R = columns.length;
  const rec: Recorded = { sensor, kind, columns, scales, values: [], offsets: [], rows: 0, span: 0, lost: 0, gaps: [] };
  let firstSeq = -1;
  let nextSeq = 0;
  let lastLost = -1;
  let lastRx = Date.now();
  let levels: [number, number][] = columns.map(() => [Infinity, -Infinity]);
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const unlisten = client.listen((m) => {
    if (m.type !== 'raw' || firstSeq === -2) return;
    lastRx = Date.now();
    if (m.channels !== R) return;
    if (firstSeq < 0) {
      firstSeq = m.seq;
      nextSeq = m.seq;
      lastLost = m.lost;
    }
    let skip = 0;
    if (m.seq > nextSeq) {
      // Samples lost before this frame (only those inside the recording's span are counted).
      const n = Math.min(m.seq, firstSeq + target) - nextSeq;
      if (n > 0) {
        rec.gaps.push({ afterRow: rec.rows, seq: nextSeq - firstSeq, samples: n, cause: m.lost > lastLost ? 'fifo-overflow' : 'link' });
        rec.lost += n;
      }
      nextSeq = m.seq;
    } else if (m.seq < nextSeq) skip = nextSeq - m.seq; // overlap with what we have (a repeated frame)
    lastLost = m.lost;
    for (let k = skip; k < m.count && nextSeq - firstSeq < target; k++) {
      for (let c = 0; c < R; c++) {
        const v = (m.samples[k * R + c] as number) * (scales[c] as number);
        rec.values.push(v);
        const l = levels[c] as [number, number];
        if (v < l[0]) l[0] = v;
        if (v > l[1]) l[1] = v;
      }
      rec.offsets.push(nextSeq - firstSeq);
      rec.rows++;
      nextSeq++;
    }
    if (nextSeq - firstSeq >= target) done();
  });
  const before = sensor.mode;
  let progress: NodeJS.Timeout | undefined;
  const onAbort = () => done();
  try {
    await setSensorMode(client, before | F.P.MODE_RECORD);
    lastRx = Date.now();
    opts.signal?.addEventListener('abort', onAbort);
    const stallMs = opts.stallMs ?? 5000;
    await new Promise<void>((resolve, reject) => {
      progress = setInterval(() => {
        if (Date.now() - lastRx > stallMs) {
          reject(new TbnError('E_STALL', `no sensor samples from the board for ${(stallMs / 1000).toFixed(1)} s (${rec.rows} of ${target} recorded)`));
          return;
        }
        opts.onProgress?.({ seconds: (nextSeq - Math.max(firstSeq, 0)) / sensor.rateHz, target, rows: rec.rows, lost: rec.lost, levels });
        levels = columns.map(() => [Infinity, -Infinity]);
      }, 500);
      if (opts.signal?.aborted) resolve();
      void finished.then(resolve);
    });
  } finally {
    firstSeq = -2; // ignore anything after the end
    if (progress) clearInterval(progress);
    opts.signal?.removeEventListener('abort', onAbort);
    unlisten();
    if (before !== (before | F.P.MODE_RECORD)) await setSensorMode(client, before).catch(() => {});
  }
  rec.span = rec.rows + rec.lost;
  return rec;
}
