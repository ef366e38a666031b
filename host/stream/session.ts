/**
 * `tbn stream` as a library: replays recordings through a DeviceClient and
 * scores the device's predictions against the recordings' labels.
 */
import { existsSync } from 'node:fs';
import { TbnError } from '../errors.ts';
import { readTextFile } from '../data/csv.ts';
import { loadCsvRecording, splitUnit } from '../data/generic-csv.ts';
import type { InputChannel } from '../format/model.ts';
import type { Recording } from '../data/recording.ts';
import { defaultHarRoot, HAR_CHANNELS, HAR_CLASSES, isSpSwHarHeader, listRecordings, loadRecording } from '../data/sp-sw-har.ts';
import { parseSubjects } from '../data/subjects.ts';
import type { InfoMessage, PredictionMessage } from '../protocol/frames.ts';
import { DeviceClient, type StreamOptions, type StreamResult } from './client.ts';
import type { Link } from './link.ts';

/**
 * Reads a CSV in the sp-sw-har layout when its header has a timestamp, a label and any of its sensor
 * columns (a missing one is named, not read some other way), else as a generic labelled CSV. With
 * the model's input channels, the recording's columns are taken by name in the model's order.
 */
export function loadAnyRecording(file: string, rate = 50, modelChannels?: readonly InputChannel[]): Recording {
  if (!existsSync(file)) throw new TbnError('E_INPUT', `${file}: recording not found`);
  const header = readTextFile(file, 'recording').split(/\r\n|\n|\r/, 1)[0] ?? '';
  const cols = header.split(',').map((c) => c.trim());
  // Without the model's names: every sensor (accelerometer, gyroscope) with any axis present, so an
  // accelerometer-only recording (a Bangle.js) loads, and a single missing axis is named.
  const sensors = [HAR_CHANNELS.slice(0, 3), HAR_CHANNELS.slice(3)].filter((axes) => axes.some((c) => cols.includes(c))).flat();
  const rec = isSpSwHarHeader(cols)
    ? loadRecording(file, { rate, channels: modelChannels && modelChannels.every((c) => cols.includes(c.name)) ? modelChannels.map((c) => c.name) : sensors })
    : loadCsvRecording(file, { rate });
  return modelChannels ? matchChannels(rec, modelChannels) : rec;
}

/**
 * The recording's channels in the model's order, found by name; refuses, naming them, model channels
 * the recording lacks and units that disagree (where both state one). Never falls back to column order.
 */
export function matchChannels(rec: Recording, model: readonly InputChannel[]): Recording {
  const names = rec.channels.map((c) => splitUnit(c).name);
  const index = model.map((c) => names.indexOf(c.name));
  const missing = model.filter((_, i) => index[i] === -1).map((c) => c.name || '(unnamed)');
  if (missing.length > 0) {
    throw new TbnError('E_CHANNELS', `${rec.file}: no column for the model's input channel${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the model takes ${model.map((c) => c.name).join(',')}; the recording has ${rec.channels.join(',')})`);
  }
  const clash = model.flatMap((c, i) => {
    const unit = rec.units?.[index[i] as number] ?? splitUnit(rec.channels[index[i] as number] as string).unit;
    return c.unit !== '' && unit !== '' && unit !== c.unit ? [`${c.name} is in ${unit}, the model's in ${c.unit}`] : [];
  });
  if (clash.length > 0) throw new TbnError('E_CHANNELS', `${rec.file}: units differ from training: ${clash.join('; ')}`);
  const C = rec.channels.length;
  const M = model.length;
  if (M === C && index.every((j, i) => j === i)) return rec;
  const samples = new Float32Array(rec.count * M);
  for (let k = 0; k < rec.count; k++) for (let i = 0; i < M; i++) samples[k * M + i] = rec.samples[k * C + (index[i] as number)] as number;
  const units = rec.units ? index.map((j) => rec.units?.[j] ?? '') : undefined;
  return { ...rec, channels: index.map((j) => rec.channels[j] as string), ...(units ? { units } : {}), samples };
}

export function harRecordings(subjectSpec: string, root: string | undefined = defaultHarRoot(), rate = 50, modelChannels?: readonly InputChannel[]): Recording[] {
  if (root === undefined) throw new TbnError('E_DATA', 'sp-sw-har data not found at ../shared/data/sp-sw-har; pass --data-root DIR');
  return listRecordings(root, parseSubjects(subjectSpec)).map((f) => (modelChannels ? loadAnyRecording(f, rate, modelChannels) : loadRecording(f, { rate })));
}

export interface RecordingScore {
  file: string;
  samples: number;
  predictions: number;
  expected: number;
  correct: number;
  overruns: number;
  /** Windows with no answer at all (see StreamResult.missing). */
  missing: number;
}

export interface StreamReport {
  device: InfoMessage;
  mode: 'fast' | 'realtime';
  recordings: RecordingScore[];
  classes: string[];
  /** confusion[true][predicted] over every prediction, truth = label of the window's centre sample. */
  confusion: number[][];
  predictions: number;
  expected: number;
  correct: number;
  accuracy: number;
  latencyMs: { mean: number; p50: number; p95: number; max: number };
  framesSent: number;
  retransmittedFrames: number;
  seconds: number;
  framesPerSecond: number;
  samplesPerSecond: number;
  inferenceMicros: { mean: number; max: number };
  /** The device's counters after the run (frames ok, bad CRC, bad framing, overruns...). */
  deviceCounters: Record<string, number>;
  /** Frames from the device the host could not decode. */
  hostReceiveErrors: { badCrc: number; badFraming: number; tooLong: number };
  errors: string[];
  /** Every prediction in arrival order (classes as indices into `classes`; truth -1 when unlabelled), for `tbn report`. */
  timeline?: TimelinePoint[];
  /** Every prediction's latency in ms, in arrival order. */
  latenciesMs?: number[];
}

export interface TimelinePoint {
  recording: number;
  endSeq: number;
  predicted: number;
  truth: number;
  micros: number;
}

/**
 * A stream that ended early: the device stopped answering during a recording, or the user pressed
 * Ctrl-C. `partial` scores the recordings that finished before it.
 */
export class StreamInterrupted extends TbnError {
  readonly partial: StreamReport;
  /** The recording that was streaming when it ended. */
  readonly during: string;
  constructor(code: string, message: string, during: string, partial: StreamReport) {
    super(code, message);
    this.name = 'StreamInterrupted';
    this.partial = partial;
    this.during = during;
  }
}

/** Errors that mean the device (or the link to it) went away, as opposed to a refused input. */
const LOST_DEVICE = new Set(['E_STALL', 'E_NO_REPLY', 'E_PORT', 'E_DEVICE_ERROR']);

export interface StreamRunOptions extends StreamOptions {
  /** The model's input channels: each recording is matched to them by name (refused when one is missing). */
  modelChannels?: readonly InputChannel[];
  /** Sees each recording's result (e.g. to compare against the reference). */
  onRecording?: (rec: Recording, result: StreamResult) => void;
  onProgress?: (rec: Recording, index: number, total: number) => void;
  /** One line per prediction as it arrives: window, predicted and true class, logits, time. */
  onLive?: (line: string) => void;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * The classes scored: the recording's, then any device label the recording lacks; and the index
 * of each device class among them (by label name; by index when the device sends no names).
 */
function classMap(device: InfoMessage, recClasses: string[]): { classes: string[]; map: number[] } {
  if (device.labels.length !== device.classes) return { classes: recClasses, map: Array.from({ length: device.classes }, (_, i) => i) };
  const classes = [...recClasses, ...device.labels.filter((l) => !recClasses.includes(l))];
  return { classes, map: device.labels.map((l) => classes.indexOf(l)) };
}

export async function streamRecordings(link: Link, given: Recording[], opts: StreamRunOptions): Promise<StreamReport> {
  if (given.length === 0) throw new TbnError('E_DATA', 'no recordings to stream');
  // Matched by name before anything is sent, so a missing column stops the run at once.
  const model = opts.modelChannels;
  const recordings = model ? given.map((r) => matchChannels(r, model)) : given;
  const client = new DeviceClient(link);
  const device = await client.hello();
  if (!device.modelOk) throw new TbnError('E_DEVICE', `the device has no usable model: ${device.error}`);
  await client.reset();
  const { classes, map } = classMap(device, recordings[0]?.classes ?? HAR_CLASSES);
  const K = classes.length;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  const scores: RecordingScore[] = [];
  const latencies: number[] = [];
  const micros: number[] = [];
  const errors: string[] = [];
  const timeline: TimelinePoint[] = [];
  let framesSent = 0;
  let retransmitted = 0;
  let seconds = 0;
  let samples = 0;
  const W = device.window;
  // The report so far (counters: the device's, once the run has them).
  const tally = (counters: Record<string, number>) => summarize({ device, mode: opts.mode, scores, classes, confusion, latencies, micros, framesSent, retransmitted, seconds, samples, counters, receiveErrors: client.receiveErrors, errors, timeline });
  for (let i = 0; i < recordings.length; i++) {
    const rec = recordings[i] as Recording;
    opts.onProgress?.(rec, i, recordings.length);
    const live = opts.onLive;
    let result: StreamResult;
    try {
      result = await client.stream(rec.samples, rec.channels.length, {
        ...opts,
        onPrediction: (p) => {
          opts.onPrediction?.(p);
          if (!live) return;
          const truth = rec.labels[p.endSeq - W + Math.floor(W / 2)];
          const name = classes[map[p.cls] ?? -1] ?? String(p.cls);
          const truthName = truth === undefined ? '?' : (classes[truth] ?? String(truth));
          live(`  samples ${p.endSeq - W}-${p.endSeq - 1}: ${name.padEnd(12)} (true ${truthName})  logits [${Array.from(p.logits).join(', ')}]  ${p.micros} us`);
        },
      });
    } catch (e) {
      if (e instanceof TbnError && e.code === 'E_INTERRUPTED') {
        throw new StreamInterrupted('E_INTERRUPTED', `interrupted during ${rec.file} (${i} of ${recordings.length} recordings finished)`, rec.file, tally({}));
      }
      if (e instanceof TbnError && LOST_DEVICE.has(e.code)) {
        const detail = e.message.replace(/^the device stopped answering: /, '');
        const what = e.code === 'E_DEVICE_ERROR' ? e.message : `the device stopped answering during ${rec.file} (${detail})`;
        throw new StreamInterrupted(e.code, `${what}; ${i} of ${recordings.length} recordings finished`, rec.file, tally({}));
      }
      throw e;
    }
    opts.onRecording?.(rec, result);
    let correct = 0;
    for (const p of result.predictions) {
      const truth = rec.labels[p.endSeq - W + Math.floor(W / 2)] as number;
      const pred = map[p.cls] ?? p.cls;
      if (truth >= 0 && truth < K && pred >= 0 && pred < K) (confusion[truth] as number[])[pred]++;
      if (pred === truth) correct++;
      micros.push(p.micros);
      timeline.push({ recording: i, endSeq: p.endSeq, predicted: pred, truth: truth >= 0 && truth < K ? truth : -1, micros: p.micros });
    }
    latencies.push(...result.latencyMs);
    for (const e of result.errors) errors.push(`${rec.file}: device error ${e.code}: ${e.message}`);
    framesSent += result.framesSent;
    retransmitted += result.retransmittedFrames;
    seconds += result.seconds;
    samples += result.samples;
    const expected = rec.count >= W ? Math.floor((rec.count - W) / device.stride) + 1 : 0;
    scores.push({ file: rec.file, samples: rec.count, predictions: result.predictions.length, expected, correct, overruns: result.overruns.length, missing: result.missing });
  }
  let status;
  try {
    status = await client.status();
  } catch (e) {
    if (e instanceof TbnError && LOST_DEVICE.has(e.code)) {
      throw new StreamInterrupted(e.code, `the device stopped answering after the last recording (${e.message})`, '', tally({}));
    }
    throw e;
  }
  return tally(status.counters);
}

interface Tally {
  device: InfoMessage;
  mode: 'fast' | 'realtime';
  scores: RecordingScore[];
  classes: string[];
  confusion: number[][];
  /** In arrival order. */
  latencies: number[];
  micros: number[];
  framesSent: number;
  retransmitted: number;
  seconds: number;
  samples: number;
  counters: Record<string, number>;
  receiveErrors: { badCrc: number; badFraming: number; tooLong: number };
  errors: string[];
  timeline: TimelinePoint[];
}

function summarize(t: Tally): StreamReport {
  const { device, scores, classes, confusion, micros, framesSent, retransmitted, seconds, samples, errors } = t;
  const latencies = [...t.latencies].sort((a, b) => a - b);
  const predictions = scores.reduce((s, r) => s + r.predictions, 0);
  const correct = scores.reduce((s, r) => s + r.correct, 0);
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  return {
    device,
    mode: t.mode,
    recordings: scores,
    classes,
    confusion,
    predictions,
    expected: scores.reduce((s, r) => s + r.expected, 0),
    correct,
    accuracy: predictions ? correct / predictions : 0,
    latencyMs: { mean: mean(latencies), p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), max: latencies.length ? (latencies[latencies.length - 1] as number) : 0 },
    framesSent,
    retransmittedFrames: retransmitted,
    seconds,
    framesPerSecond: seconds > 0 ? framesSent / seconds : 0,
    samplesPerSecond: seconds > 0 ? samples / seconds : 0,
    inferenceMicros: { mean: mean(micros), max: micros.length ? micros.reduce((a, b) => Math.max(a, b), 0) : 0 },
    deviceCounters: t.counters,
    hostReceiveErrors: { ...t.receiveErrors },
    errors: [...errors],
    timeline: t.timeline,
    latenciesMs: t.latencies,
  };
}

/** Values that do not fit int16 at `shift` (sent clipped), and the largest shift at which none would. */
export function int16Clipping(recordings: Recording[], shift: number): { clipped: number; values: number; maxAbs: number; largestShift: number } {
  let clipped = 0;
  let values = 0;
  let maxAbs = 0;
  const scale = 2 ** shift;
  for (const r of recordings) {
    for (const v of r.samples) {
      const q = Math.round(v * scale);
      if (q > 32767 || q < -32768) clipped++;
      const a = Math.abs(v);
      if (a > maxAbs) maxAbs = a;
    }
    values += r.samples.length;
  }
  let largestShift = 30;
  while (largestShift > 0 && Math.round(maxAbs * 2 ** largestShift) > 32767) largestShift--;
  return { clipped, values, maxAbs, largestShift };
}

/** The text report `tbn stream` prints. */
export function formatReport(r: StreamReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines: string[] = [];
  lines.push(`device: model ${r.device.fileBytes} B, scratch ${r.device.scratchBytes} B, window ${r.device.window} x ${r.device.inC}, stride ${r.device.stride}`);
  const overruns = r.recordings.reduce((n, x) => n + x.overruns, 0);
  const missing = r.recordings.reduce((n, x) => n + x.missing, 0);
  if (overruns + missing > 0) lines.push(`windows without a prediction: ${overruns} overrun (reported by the device), ${missing} unanswered`);
  lines.push(`predictions: ${r.predictions}/${r.expected} windows, accuracy ${pct(r.accuracy)} (${r.correct} correct; truth = label of the window's centre sample)`);
  const w = Math.max(8, ...r.classes.map((c) => c.length));
  lines.push('', 'confusion (rows: true, columns: predicted):');
  lines.push(`${''.padEnd(w)} ${r.classes.map((_, j) => String(j).padStart(6)).join('')}`);
  r.confusion.forEach((row, i) => lines.push(`${`${i} ${r.classes[i]}`.padEnd(w + 2).slice(0, w + 2)}${row.map((v) => String(v).padStart(6)).join('')}`));
  lines.push('');
  lines.push(`link: ${r.framesSent} sample frames in ${r.seconds.toFixed(2)} s = ${r.framesPerSecond.toFixed(0)} frames/s, ${r.samplesPerSecond.toFixed(0)} samples/s (${r.mode}), ${r.retransmittedFrames} resent`);
  lines.push(`latency: mean ${r.latencyMs.mean.toFixed(2)} ms, p50 ${r.latencyMs.p50.toFixed(2)} ms, p95 ${r.latencyMs.p95.toFixed(2)} ms, max ${r.latencyMs.max.toFixed(2)} ms; inference on device: mean ${r.inferenceMicros.mean.toFixed(0)} us`);
  const c = r.deviceCounters;
  if (Object.keys(c).length > 0) lines.push(
    `device counters: ${c.framesOk ?? 0} frames ok, ${c.badCrc ?? 0} bad CRC, ${c.badFraming ?? 0} bad framing, ${c.tooLong ?? 0} too long, ${c.badPayload ?? 0} bad payload, ${c.seqGaps ?? 0} sequence gaps, ${c.droppedSamples ?? 0} samples dropped, ${c.overruns ?? 0} overruns`,
  );
  const h = r.hostReceiveErrors;
  lines.push(`host receive errors: ${h.badCrc} bad CRC, ${h.badFraming} bad framing, ${h.tooLong} too long`);
  for (const e of r.errors.slice(0, 10)) lines.push(`error: ${e}`);
  return lines.join('\n');
}
