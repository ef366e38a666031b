/**
 * Talks the framed protocol to a device over a Link: requests with retries,
 * and streaming of one recording with flow control by sequence numbers.
 */
import { TbnError } from '../errors.ts';
import * as F from '../protocol/frames.ts';
import type { AckMessage, DeviceMessage, ErrorMessage, InfoMessage, PredictionMessage, StatusMessage } from '../protocol/frames.ts';
import type { Link } from './link.ts';

export interface StreamOptions {
  /** 'fast': reliable, as fast as the link allows (credit window, go-back-N); 'realtime': paced at `rate`, gaps tolerated. */
  mode: 'fast' | 'realtime';
  /** Samples per second in realtime mode. */
  rate?: number;
  format?: F.SampleFormat;
  /** i16 scale: value = i16 / 2^shift. */
  shift?: number;
  samplesPerFrame?: number;
  /** Fast mode: most SAMPLES frames in flight without an ACK. */
  maxInFlight?: number;
  /** Fast mode: resend from the last ACK when nothing moves for this long (default 250 ms plus twice the slowest inference seen). */
  retransmitMs?: number;
  /** Give up when nothing at all arrives for this long. */
  stallMs?: number;
  /** Sees every frame before it is written (the fault test corrupts some). */
  tap?: (encoded: Uint8Array, kind: 'samples' | 'control') => Uint8Array[];
  onPrediction?: (p: PredictionMessage) => void;
  /** Ends the stream with TbnError('E_INTERRUPTED') when aborted (Ctrl-C). */
  signal?: AbortSignal;
  /** The same device ERROR this many times with no sample accepted in between ends the stream (default 8). */
  repeatedErrorLimit?: number;
}

export interface StreamResult {
  stream: number;
  predictions: PredictionMessage[];
  /** Window ends the device reported as overrun (skipped). */
  overruns: number[];
  /** Windows with neither a PREDICTION nor an overrun report (lost on the way back, or skipped after a gap). */
  missing: number;
  errors: ErrorMessage[];
  framesSent: number;
  retransmittedFrames: number;
  samples: number;
  /** Time spent sending (paced mode: up to the last sample, without the wait for the last predictions). */
  seconds: number;
  /** Prediction latency: from sending the window's last sample to receiving its prediction, ms. */
  latencyMs: number[];
}

interface Waiter {
  match: (m: DeviceMessage) => boolean;
  resolve: (m: DeviceMessage) => void;
}

const interrupted = () => new TbnError('E_INTERRUPTED', 'interrupted');

export class DeviceClient {
  private readonly reader = new F.FrameReader();
  private waiters: Waiter[] = [];
  private listeners: Array<(m: DeviceMessage) => void> = [];
  private lastRx = Date.now();
  info: InfoMessage | undefined;
  private nextStreamId = 1;

  constructor(private readonly link: Link) {
    link.onData((bytes) => {
      this.lastRx = Date.now();
      this.reader.push(bytes, (m) => this.dispatch(m));
    });
  }

  /** Corrupt or unparsable frames received from the device. */
  get receiveErrors(): { badCrc: number; badFraming: number; tooLong: number } {
    return this.reader.errors;
  }

  private dispatch(m: DeviceMessage): void {
    for (const l of this.listeners) l(m);
    const w = this.waiters.find((x) => x.match(m));
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(m);
    }
  }

  listen(l: (m: DeviceMessage) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  write(bytes: Uint8Array): void {
    this.link.write(bytes);
  }

  /** Sends `frame` until a matching reply arrives (tries × timeoutMs). */
  async request<T extends DeviceMessage>(frame: Uint8Array, match: (m: DeviceMessage) => m is T, what: string, timeoutMs = 500, tries = 6, signal?: AbortSignal): Promise<T> {
    for (let i = 0; i < tries; i++) {
      if (signal?.aborted) throw interrupted();
      const reply = await new Promise<DeviceMessage | undefined>((resolve) => {
        const waiter: Waiter = { match, resolve };
        this.waiters.push(waiter);
        const t = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== waiter);
          resolve(undefined);
        }, timeoutMs);
        const done = waiter.resolve;
        waiter.resolve = (m) => {
          clearTimeout(t);
          done(m);
        };
        // Two delimiters first: ends any partial frame the device holds.
        this.link.write(Uint8Array.of(0, 0));
        this.link.write(frame);
      });
      if (reply) return reply as T;
    }
    throw new TbnError('E_NO_REPLY', `no ${what} reply from the device after ${tries} tries of ${timeoutMs} ms`);
  }

  async hello(): Promise<InfoMessage> {
    const info = await this.request(F.hello(), (m): m is InfoMessage => m.type === 'info', 'INFO');
    if (info.version !== F.P.PROTOCOL_VERSION) {
      throw new TbnError('E_PROTOCOL', `the device speaks protocol version ${info.version}, this host ${F.P.PROTOCOL_VERSION}: rebuild and upload the app (node device/build.mjs)`);
    }
    this.info = info;
    return info;
  }

  async reset(): Promise<AckMessage> {
    return this.request(F.reset(), (m): m is AckMessage => m.type === 'ack' && m.stream === 0 && m.nextSeq === 0, 'RESET acknowledgement');
  }

  async status(): Promise<StatusMessage> {
    return this.request(F.statusRequest(), (m): m is StatusMessage => m.type === 'status', 'STATUS');
  }

  /** Streams one recording (channel-interleaved samples) as a new stream. */
  async stream(samples: Float32Array, channels: number, opts: StreamOptions): Promise<StreamResult> {
    const info = this.info ?? (await this.hello());
    if (!info.modelOk) throw new TbnError('E_DEVICE', `the device has no usable model: ${info.error}`);
    if (channels !== info.inC) throw new TbnError('E_CHANNELS', `the recording has ${channels} channels, the device's model takes ${info.inC}`);
    const count = Math.floor(samples.length / channels);
    const format = opts.format ?? 'f32';
    const shift = opts.shift ?? 0;
    const maxSpf = F.maxSamplesPerFrame(channels, format);
    // A value the caller gave that does not fit a frame is refused, never shrunk; only the default shrinks to fit.
    if (opts.samplesPerFrame !== undefined && !(opts.samplesPerFrame >= 1 && opts.samplesPerFrame <= maxSpf)) {
      throw new TbnError('E_OPTION', `--samples-per-frame ${opts.samplesPerFrame}: one frame holds 1 to ${maxSpf} samples of ${channels} ${format} channels`);
    }
    const spf = opts.samplesPerFrame ?? Math.min(4, maxSpf);
    const fast = opts.mode === 'fast';
    const id = this.nextStreamId;
    this.nextStreamId = (this.nextStreamId % 0xffff) + 1;
    const tap = opts.tap ?? ((b: Uint8Array) => [b]);
    const send = (b: Uint8Array, kind: 'samples' | 'control') => {
      for (const out of tap(b, kind)) this.link.write(out);
    };

    const startAck = await this.request(F.start(id, fast), (m): m is AckMessage => m.type === 'ack' && m.stream === id && m.nextSeq === 0, 'START acknowledgement', 500, 6, opts.signal);
    const W = info.window;
    const S = info.stride;
    const expected = count >= W ? Math.floor((count - W) / S) + 1 : 0;
    const predictions: PredictionMessage[] = [];
    const seenEnds = new Set<number>();
    const overruns: number[] = [];
    const errors: ErrorMessage[] = [];
    const sentAt = new Float64Array(count);
    const latencyMs: number[] = [];
    let framesSent = 0;
    let retransmitted = 0;
    let sendSeq = 0;
    let highestSent = 0;
    let ackSeq = 0;
    let limit = startAck.limit;
    let rewoundAt = -1;
    let slowestMs = 0;
    let lastTimedResend = 0;
    let lastProgress = Date.now();
    // Device ERRORs are not progress: one repeated with no sample accepted in between ends the stream.
    let refused: { code: number; message: string; times: number } | undefined;
    const repeatedErrorLimit = opts.repeatedErrorLimit ?? 8;
    const t0 = performance.now();
    let sentUntil = t0;

    let wake: (() => void) | undefined;
    const poke = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const unlisten = this.listen((m) => {
      if (m.type === 'prediction' && m.stream === id) {
        if (!seenEnds.has(m.endSeq)) {
          seenEnds.add(m.endSeq);
          predictions.push(m);
          if (m.endSeq >= 1 && m.endSeq <= count) latencyMs.push(performance.now() - (sentAt[m.endSeq - 1] as number));
          slowestMs = Math.max(slowestMs, m.micros / 1000);
          opts.onPrediction?.(m);
        }
        lastProgress = Date.now();
        refused = undefined; // the device is working: an earlier ERROR was not a refusal of the stream
      } else if (m.type === 'ack' && m.stream === id) {
        if (m.nextSeq > ackSeq) {
          ackSeq = m.nextSeq;
          lastProgress = Date.now();
          refused = undefined;
        }
        limit = Math.max(limit, m.limit);
        if (rewoundAt >= 0 && ackSeq > rewoundAt) rewoundAt = -1;
        if (fast && m.gap && m.nextSeq !== rewoundAt && m.nextSeq < sendSeq) {
          sendSeq = m.nextSeq;
          rewoundAt = m.nextSeq;
        }
      } else if (m.type === 'error') {
        if (m.code === F.P.E_OVERRUN) {
          overruns.push(m.arg);
          lastProgress = Date.now();
        } else {
          errors.push(m);
          refused = refused && refused.code === m.code ? { ...refused, times: refused.times + 1 } : { code: m.code, message: m.message, times: 1 };
        }
      }
      poke();
    });

    const sendFrame = (first: number, n: number) => {
      const frame = F.encode(F.samplesFrame(id, first, samples, channels, first, n, format, shift));
      const now = performance.now();
      for (let k = first; k < first + n; k++) sentAt[k] = now;
      if (first < highestSent) retransmitted++;
      highestSent = Math.max(highestSent, first + n);
      framesSent++;
      send(frame, 'samples');
      sentUntil = performance.now();
    };
    const checkRefusedOrAborted = () => {
      if (opts.signal?.aborted) throw interrupted();
      if (refused && refused.times >= repeatedErrorLimit) {
        throw new TbnError('E_DEVICE_ERROR', `the device refused the stream: ERROR ${refused.code} "${refused.message}" ${refused.times} times with no sample accepted`);
      }
    };
    // Paced streams get no ACK per frame: they are done when every window is accounted for.
    const finished = () => (ackSeq >= count || !fast) && predictions.length + overruns.length >= expected;
    const stallMs = opts.stallMs ?? 5000;
    // A device busy with an inference sends no ACK meanwhile: wait for it before resending.
    const retransmitAfter = () => opts.retransmitMs ?? 250 + 2 * slowestMs;
    const maxInFlight = opts.maxInFlight ?? 16;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          wake = undefined;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });

    try {
      if (fast) {
        while (!finished()) {
          checkRefusedOrAborted();
          while (sendSeq < count && sendSeq < limit && sendSeq - ackSeq < maxInFlight * spf) {
            const n = Math.min(spf, count - sendSeq, limit - sendSeq);
            sendFrame(sendSeq, n);
            sendSeq += n;
          }
          const retransmitMs = retransmitAfter();
          await sleep(retransmitMs);
          const idle = Date.now() - lastProgress;
          // At most one timed go-back per period: resending on every (duplicate) ACK would snowball.
          const quiet = Date.now() - Math.max(lastProgress, lastTimedResend) >= retransmitMs;
          if (!finished() && quiet && sendSeq > ackSeq) {
            sendSeq = ackSeq; // go back to the last acknowledged sample
            rewoundAt = -1;
            lastTimedResend = Date.now();
          } else if (!finished() && quiet && ackSeq >= count) {
            lastTimedResend = Date.now();
            // Everything is acknowledged but predictions are missing: ask for the counters to learn why.
            this.link.write(F.statusRequest());
          }
          // All samples acknowledged, the device idle, some predictions never came: lost on the way back.
          if (ackSeq >= count && idle > Math.min(stallMs, 4 * retransmitMs + 1000)) break;
          if (idle > stallMs) throw new TbnError('E_STALL', `the device stopped answering: ${ackSeq}/${count} samples acknowledged, ${predictions.length}/${expected} predictions (sent up to ${sendSeq}, credit limit ${limit})`);
        }
      } else {
        const rate = opts.rate ?? 50;
        for (let first = 0; first < count; first += spf) {
          const due = t0 + (first / rate) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          checkRefusedOrAborted();
          sendFrame(first, Math.min(spf, count - first));
        }
        sendSeq = count;
        const deadline = Date.now() + stallMs;
        while (!finished() && Date.now() < deadline) {
          checkRefusedOrAborted();
          await sleep(50);
        }
      }
    } finally {
      unlisten();
    }
    predictions.sort((a, b) => a.endSeq - b.endSeq);
    const missing = Math.max(0, expected - predictions.length - overruns.length);
    // Paced: the rate is that of sending; the wait for the last predictions afterwards is not part of it.
    const seconds = ((fast ? performance.now() : sentUntil) - t0) / 1000;
    return { stream: id, predictions, overruns, missing, errors, framesSent, retransmittedFrames: retransmitted, samples: count, seconds, latencyMs };
  }
}
