/**
 * The device app: receives sample frames, keeps a ring buffer of samples,
 * runs the model every `stride` samples and sends predictions back.
 * Buffers are allocated at start, except the ring and window, made when a stream of another kind
 * starts (float values, or int16 counts for the sensor with sensor.input16); nothing per sample.
 */
import type { Board, TbnInfo, TbnModule } from './board.ts';
import { banglePollMs, bangleStart, bangleStop } from './sensors/bangle.ts';
import { type I2cBus, MPU_ID, type MpuDriver, mpuBaseHz, mpuDivider, mpuFactory, rangeIndex } from './sensors/mpu6050.ts';
import {
  ACK_GAP,
  COUNTER_COUNT,
  C_BAD_CRC,
  C_BAD_FRAMING,
  C_BAD_PAYLOAD,
  C_DROPPED_SAMPLES,
  C_DUPLICATES,
  C_FRAMES_OK,
  C_INFERENCE_ERRORS,
  C_OVERRUNS,
  C_PREDICTIONS,
  C_SAMPLES,
  C_SENSOR_LOST,
  C_SENSOR_OVERFLOWS,
  C_SENSOR_SAMPLES,
  C_SEQ_GAPS,
  C_TOO_LONG,
  C_TX_DROPPED,
  C_TX_FRAMES,
  C_UNKNOWN_TYPE,
  CRC_BYTES,
  D_BAD_CRC,
  D_BAD_FRAMING,
  D_FRAME,
  D_TOO_LONG,
  E_INFERENCE,
  E_MODEL,
  E_OVERRUN,
  E_SAMPLES,
  E_SENSOR,
  E_STATE,
  FMT_F32,
  FMT_I16,
  KIND_BANGLE,
  KIND_MPU6050,
  KIND_NONE,
  MAX_ENCODED,
  MAX_FRAME,
  MAX_PAYLOAD,
  MODE_BOTH,
  MODE_OFF,
  MODE_PREDICT,
  MODE_RECORD,
  PROTOCOL_VERSION,
  RAW_HEADER,
  SAMPLES_HEADER,
  SENSOR_STREAM,
  START_RELIABLE,
  T_ACK,
  T_ERROR,
  T_HELLO,
  T_INFO,
  T_PREDICTION,
  T_RAW,
  T_RESET,
  T_SAMPLES,
  T_SENSOR,
  T_SENSOR_MODE,
  T_SENSOR_REQ,
  T_START,
  T_STATUS,
  T_STATUS_REQ,
  decodeSome,
  encodeFrame,
  getU16,
  getU32,
  newDecoder,
  putU16,
  putU32,
  resetDecoder,
  setCrc32,
} from './protocol.ts';

export var MODEL_FILE = 'model.tbn';
/**
 * Optional JSON config in Storage: { "stride": samples, "ring": samples, "baud": n, "serial": Serial.setup options,
 * "sensor": the board's own sensor (docs/sensors.md) }.
 */
export var CONFIG_FILE = 'tbn.cfg';
/** Logits beyond this many are not sent (the frame would exceed MAX_FRAME). */
export var MAX_LOGITS = 58;
/** Accelerometer ranges in g and gyroscope ranges in deg/s, in the MPU-6050's AFS_SEL / FS_SEL order. */
var MPU_ACCEL_G = [2, 4, 8, 16];
var MPU_GYRO_DPS = [250, 500, 1000, 2000];
var BANGLE_COUNTS_PER_G = 8192;

export interface App {
  /** Feeds received bytes. Never throws. */
  receive(bytes: Uint8Array): void;
  counters: Uint32Array;
}

/** What user code receives with each prediction (`E.on('tbn', fn)` on Espruino). */
export interface PredictionEvent {
  cls: number;
  label: string;
  /** Stream id (0xFFFF: the board's own sensor) and the window's end in that stream's samples. */
  stream: number;
  endSeq: number;
  micros: number;
}

/**
 * Starts the app. Held in an object, not a function declaration, so the entry can drop it
 * after the call: Espruino keeps each function's source text, and the closures below do not
 * need this outer one.
 */
export var appFactory: { start: ((board: Board) => App) | null } = { start: null };

appFactory.start = function (board: Board): App {
  var counters = new Uint32Array(COUNTER_COUNT);
  var dec = newDecoder();
  var raw = new Uint8Array(MAX_FRAME);
  var enc = new Uint8Array(MAX_ENCODED + 1);
  // RAW frame samples, written through an aligned little-endian view of the frame buffer.
  var rawI16 = new Int16Array(raw.buffer, 1 + RAW_HEADER, (MAX_FRAME - 1 - RAW_HEADER) >> 1);
  // Aligned copy of a SAMPLES frame's values, read through typed views (little-endian MCUs and hosts).
  var sampleBuf = new ArrayBuffer(256);
  var sampleU8 = new Uint8Array(sampleBuf);
  var sampleF32 = new Float32Array(sampleBuf);
  var sampleI16 = new Int16Array(sampleBuf);

  var tbn: TbnModule | null = null;
  var model: unknown = null;
  var info: TbnInfo | null = null;
  var modelError = '';
  var configError = '';
  var cfg: any = null;
  var windowLen = 0; // samples (positions) per inference
  var channels = 0;
  var stride = 1;
  var cap = 0; // ring capacity in samples
  var ring: Float32Array | null = null;
  var input: Float32Array | null = null;
  // The sensor's own stream with tbn.cfg's sensor.input16: a ring of raw int16 counts (half a float ring's
  // RAM) that the kernel requantises with these (mult, add, shift) triples, no float pass. Only one ring exists.
  var ring16: Int16Array | null = null;
  var input16: Int16Array | null = null;
  var params16: Int32Array | null = null;
  var logits: Int32Array | null = null;

  var stream = 0;
  var reliable = false;
  var nextSeq = 0; // next sample expected
  var validFrom = 0; // first sample after the last gap
  var nextEnd = 0; // end (exclusive) of the next window to infer
  var scheduled = false;
  var ledOn = false;

  // The board's own sensor, set up by setupSensor only when tbn.cfg configures one: Espruino keeps the
  // text of every function it creates, so a board without a sensor does not pay for the sensor code.
  var sensorApi: { modeFrame: (f: Uint8Array, len: number) => void; info: () => void; release: () => void } | null = null;

  function readConfig(): void {
    var text: any = board.readFile(CONFIG_FILE);
    // Espruino gives a String; our JerryScript main an ArrayBuffer.
    if (text && typeof text !== 'string' && text.byteLength !== undefined) text = String.fromCharCode.apply(null, new Uint8Array(text) as any);
    if (typeof text !== 'string' || text.length === 0) return;
    try {
      cfg = JSON.parse(text);
    } catch (e) {
      configError = CONFIG_FILE + ' is not JSON; using the defaults';
    }
  }

  function loadModel(): void {
    try {
      tbn = board.tbn();
      var bytes = board.readFile(MODEL_FILE);
      if (bytes === undefined || bytes === null) {
        modelError = 'no ' + MODEL_FILE + ' in Storage';
        return;
      }
      model = tbn.open(bytes);
      info = tbn.info(model);
      windowLen = info.inH * info.inW;
      channels = info.inC;
      stride = windowLen > 1 ? Math.floor(windowLen / 2) : 1;
      var ringLen = 0;
      if (cfg && cfg.stride >= 1 && cfg.stride <= 65535) stride = Math.floor(cfg.stride);
      if (cfg && cfg.ring >= 1 && cfg.ring <= 65535) ringLen = Math.floor(cfg.ring);
      cap = windowLen + Math.max(2 * stride, 16);
      if (ringLen > cap) cap = ringLen;
      logits = new Int32Array(info.classes);
      var p16 = cfg && cfg.sensor && cfg.sensor.input16;
      if (p16) {
        params16 = new Int32Array(p16);
        // One trial run now, so a bad triple is one model error naming tbn.cfg, not an error per window.
        try {
          tbn.run(model, new Int16Array(info.inputLen), logits, params16);
        } catch (e) {
          throw new Error(CONFIG_FILE + ' sensor.input16: ' + (e as Error).message);
        }
      }
      // With input16 the sensor stream's counts ring comes with the stream (useRing); else the float ring now.
      if (params16 === null) useRing(false);
    } catch (e) {
      model = null;
      info = null;
      modelError = String((e as Error).message || e);
    }
  }

  /** Encodes and writes raw[0, len); a frame that cannot be encoded is counted in txDropped, never lost silently. */
  function send(len: number): void {
    var n = encodeFrame(raw, len, enc);
    if (n > 0) {
      board.write(enc, n);
      counters[C_TX_FRAMES]++;
    } else counters[C_TX_DROPPED]++;
  }

  function putText(at: number, text: string, limit: number): number {
    for (var i = 0; i < text.length && at < limit; i++) raw[at++] = text.charCodeAt(i) & 0xff;
    return at;
  }

  function sendError(code: number, arg: number, message: string): void {
    raw[0] = T_ERROR;
    raw[1] = code;
    putU32(raw, 2, arg);
    send(putText(6, message, 6 + 64));
  }

  function creditLimit(): number {
    var oldest = nextEnd - windowLen;
    if (oldest > nextSeq) oldest = nextSeq;
    if (oldest < 0) oldest = 0;
    return oldest + cap;
  }

  function sendAck(flags: number): void {
    raw[0] = T_ACK;
    raw[1] = flags;
    putU16(raw, 2, stream);
    putU32(raw, 4, nextSeq);
    putU32(raw, 8, model !== null ? creditLimit() : nextSeq);
    send(12);
  }

  function sendInfo(): void {
    raw[0] = T_INFO;
    raw[1] = PROTOCOL_VERSION;
    raw[2] = model !== null ? 1 : 0;
    var i = info;
    putU32(raw, 3, i ? i.fileBytes : 0);
    putU32(raw, 7, i ? i.scratchBytes : 0);
    putU16(raw, 11, i ? i.classes : 0);
    putU16(raw, 13, i ? i.inH : 0);
    putU16(raw, 15, i ? i.inW : 0);
    putU16(raw, 17, i ? i.inC : 0);
    putU16(raw, 19, windowLen);
    putU16(raw, 21, stride);
    putU16(raw, 23, cap);
    putU32(raw, 25, board.freeBytes());
    var at = 29;
    // Type + payload + CRC must fit MAX_FRAME: the labels are cut at the last byte that fits.
    var limit = MAX_FRAME - CRC_BYTES;
    if (i) {
      for (var k = 0; k < i.labels.length && at < limit; k++) {
        if (k > 0) raw[at++] = 10;
        at = putText(at, i.labels[k], limit);
      }
    } else {
      at = putText(at, modelError, limit);
    }
    send(at);
  }

  function sendStatus(): void {
    raw[0] = T_STATUS;
    putU16(raw, 1, stream);
    putU32(raw, 3, nextSeq);
    raw[7] = COUNTER_COUNT;
    for (var k = 0; k < COUNTER_COUNT; k++) putU32(raw, 8 + 4 * k, counters[k]);
    send(8 + 4 * COUNTER_COUNT);
  }

  /** Makes the ring of the current stream's kind exist (counts: the sensor with input16), dropping the other. */
  function useRing(counts: boolean): void {
    var n = cap * channels;
    if (counts) {
      if (ring16 === null) {
        ring = null;
        input = null;
        ring16 = new Int16Array(n);
        input16 = new Int16Array((info as TbnInfo).inputLen);
      }
    } else if (ring === null) {
      ring16 = null;
      input16 = null;
      ring = new Float32Array(n);
      input = new Float32Array((info as TbnInfo).inputLen);
    }
  }

  /** Starts stream `id` at sample `seq` (0 for host streams; the sensor's sample count for its own). */
  function restartStream(id: number, flags: number, seq: number): void {
    if (info !== null) useRing(id === SENSOR_STREAM && params16 !== null);
    stream = id;
    reliable = (flags & START_RELIABLE) !== 0;
    nextSeq = seq;
    validFrom = seq;
    nextEnd = seq + windowLen;
  }

  function schedule(): void {
    if (!scheduled && model !== null && nextEnd <= nextSeq) {
      scheduled = true;
      board.later(runPending, 0);
    }
  }

  /** Runs one pending window, then yields to the event loop so received bytes are handled between inferences. */
  function runPending(): void {
    scheduled = false;
    if (model === null || nextEnd > nextSeq) return;
    inferNext();
    if (reliable) sendAck(0);
    schedule();
  }

  /** Infers the window ending at nextEnd (complete in the ring) and reports it: PREDICTION frame, LED, event. */
  function inferNext(): void {
    var counts = ring16 !== null;
    var r: Float32Array | Int16Array = counts ? (ring16 as Int16Array) : (ring as Float32Array);
    var x: Float32Array | Int16Array = counts ? (input16 as Int16Array) : (input as Float32Array);
    var lg = logits as Int32Array;
    var end = nextEnd;
    nextEnd += stride;
    var start = (end - windowLen) % cap;
    var part = cap - start;
    if (part > windowLen) part = windowLen;
    x.set(r.subarray(start * channels, (start + part) * channels), 0);
    if (part < windowLen) x.set(r.subarray(0, (windowLen - part) * channels), part * channels);
    var cls = 0;
    var t0 = board.now();
    try {
      cls = counts ? (tbn as TbnModule).run(model, x, lg, params16 as Int32Array) : (tbn as TbnModule).run(model, x, lg);
    } catch (e) {
      counters[C_INFERENCE_ERRORS]++;
      sendError(E_INFERENCE, end, String((e as Error).message || e));
      return;
    }
    var micros = Math.round((board.now() - t0) * 1e6);
    if (micros < 0) micros = 0;
    counters[C_PREDICTIONS]++;
    ledOn = !ledOn;
    board.led(ledOn);
    var classes = lg.length;
    var sent = classes > MAX_LOGITS ? MAX_LOGITS : classes;
    raw[0] = T_PREDICTION;
    putU16(raw, 1, stream);
    putU32(raw, 3, end);
    putU16(raw, 7, cls);
    putU32(raw, 9, micros);
    putU32(raw, 13, board.freeBytes());
    raw[17] = sent;
    for (var c = 0; c < sent; c++) putU32(raw, 18 + 4 * c, lg[c]);
    send(18 + 4 * sent);
    if (board.emit) {
      var ev: PredictionEvent = { cls: cls, label: (info as TbnInfo).labels[cls] || '', stream: stream, endSeq: end, micros: micros };
      try {
        board.emit(ev);
      } catch (e) {
        // A failing user handler must not stop the app.
      }
    }
  }

  /**
   * Writes n samples (n * channels values of src, times `scale`) at nextSeq into the ring. Windows
   * whose samples this overwrites before they were inferred are skipped and reported (ERROR 1).
   */
  function writeRing(src: Float32Array | Int16Array, n: number, scale: number): void {
    // counts (Int16Array, scale 1) into the counts ring, values into the float ring (restartStream picked it)
    var r: Float32Array | Int16Array = ring16 !== null ? ring16 : (ring as Float32Array);
    var ch = channels;
    if (n > cap) {
      // More than the ring holds: keep the newest cap samples; the windows over the older ones are skipped below.
      var drop = n - cap;
      nextSeq += drop;
      counters[C_SAMPLES] += drop;
      src = src.subarray(drop * ch, n * ch);
      n = cap;
    }
    var last = nextSeq + n - 1;
    while (nextEnd - windowLen <= last - cap) {
      counters[C_OVERRUNS]++;
      sendError(E_OVERRUN, nextEnd, 'overrun: window skipped');
      nextEnd += stride;
    }
    var slot = nextSeq % cap;
    var part = cap - slot;
    if (part > n) part = n;
    r.set(src.subarray(0, part * ch), slot * ch);
    if (part < n) r.set(src.subarray(part * ch, n * ch), 0);
    if (scale !== 1) {
      var k: number;
      for (k = slot * ch; k < (slot + part) * ch; k++) r[k] *= scale;
      for (k = 0; k < (n - part) * ch; k++) r[k] *= scale;
    }
    nextSeq += n;
    counters[C_SAMPLES] += n;
    schedule();
  }

  /** Continues the stream at `seq` after lost samples: complete windows are inferred first, then the next window starts after the gap. */
  function jumpTo(seq: number): void {
    while (nextEnd <= nextSeq) inferNext();
    nextSeq = seq;
    validFrom = seq;
    // The first window starting at or after the gap (arithmetic: a far-off seq must not loop).
    var firstEnd = windowLen + Math.ceil(validFrom / stride) * stride;
    if (nextEnd < firstEnd) nextEnd = firstEnd;
  }

  function handleSamples(f: Uint8Array, len: number): void {
    if (model === null) {
      counters[C_BAD_PAYLOAD]++;
      sendError(E_MODEL, 0, modelError);
      return;
    }
    if (len < SAMPLES_HEADER + 1) {
      counters[C_BAD_PAYLOAD]++;
      sendError(E_SAMPLES, 0, 'short SAMPLES frame');
      return;
    }
    var id = getU16(f, 1);
    var seq = getU32(f, 3);
    var fmt = f[7];
    var shift = f[8];
    var ch = f[9];
    var count = f[10];
    var width = fmt === FMT_F32 ? 4 : 2;
    if ((fmt !== FMT_F32 && fmt !== FMT_I16) || ch !== channels || shift > 30 || len !== SAMPLES_HEADER + 1 + count * ch * width) {
      counters[C_BAD_PAYLOAD]++;
      sendError(E_SAMPLES, seq, 'bad SAMPLES frame: need ' + channels + ' channels, format 0 or 1, exact length');
      return;
    }
    if (id !== stream || stream === SENSOR_STREAM) {
      counters[C_DUPLICATES]++; // a frame of an earlier stream still in flight
      sendAck(0);
      return;
    }
    if (seq > nextSeq) {
      counters[C_SEQ_GAPS]++;
      if (reliable) {
        sendAck(ACK_GAP); // go back: the host resends from nextSeq
        return;
      }
      counters[C_DROPPED_SAMPLES] += seq - nextSeq;
      jumpTo(seq);
    }
    var skip = nextSeq - seq;
    if (skip >= count) {
      counters[C_DUPLICATES]++;
      sendAck(0);
      return;
    }
    var n = count - skip;
    var from = SAMPLES_HEADER + 1 + skip * ch * width;
    sampleU8.set(f.subarray(from, from + n * ch * width), 0);
    writeRing(width === 4 ? sampleF32 : sampleI16, n, width === 2 && shift !== 0 ? 1 / (1 << shift) : 1);
    if (reliable) sendAck(0);
  }

  /** Called once at start, then dropped (its text holds all the sensor code). */
  var setupSensor: (() => void) | null = function (): void {
    var s = cfg && cfg.sensor;
    if (!s) return;
    // Raw int16 counts -> model units -> the same ring as the SAMPLES path.
    var sensor: any = null;
    var sensorKind = KIND_NONE;
    var sensorOk = false;
    var sensorError = '';
    var mode = MODE_OFF;
    var wantMode = MODE_OFF; // asked for before the sensor was ready
    var sensorSeq = 0; // samples since the sensor started
    var rawCh = 0; // raw channels the sensor delivers
    var rateHz = 0; // the sensor's actual sample rate
    var pollMs = 100;
    var rawMax = 0; // samples per RAW frame (and per FIFO burst)
    var rawBuf: Int16Array | null = null;
    var pending = 0; // Bangle samples waiting in rawBuf
    var batch = 1;
    var conv: Float32Array | null = null;
    var conv16: Int16Array | null = null; // with input16: counts in model channel order
    var mapSrc: number[] = [];
    var mapScale: number[] = [];
    var mapOk = false;
    var bus: I2cBus | null = null;
    var mpu: MpuDriver | null = null;
    var addr = 0x68;
    var bangle: any = null;
    var polling = false;
    var lastDrain = 0;
    var busFailed = false;

    function sensorFail(arg: number, message: string): void {
      sensorOk = false;
      sensorError = message;
      sendError(E_SENSOR, arg, message);
    }

    function sendRaw(from: number, n: number): void {
      raw[0] = T_RAW;
      putU32(raw, 1, sensorSeq + from);
      putU32(raw, 5, counters[C_SENSOR_LOST]);
      raw[9] = sensorKind;
      raw[10] = rawCh;
      raw[11] = n;
      rawI16.set((rawBuf as Int16Array).subarray(from * rawCh, (from + n) * rawCh));
      send(1 + RAW_HEADER + 2 * n * rawCh);
    }

    /** n raw samples in rawBuf: RAW frames when recording, model units into the ring when predicting. */
    function deliver(n: number): void {
      counters[C_SENSOR_SAMPLES] += n;
      if (mode & MODE_RECORD) sendRaw(0, n);
      if (mode & MODE_PREDICT && stream === SENSOR_STREAM) {
        var rb = rawBuf as Int16Array;
        var C = channels;
        var k: number;
        var i: number;
        if (conv16 !== null) {
          // raw counts: the scale and sign are in the input16 triples
          for (k = 0; k < n; k++) for (i = 0; i < C; i++) conv16[k * C + i] = rb[k * rawCh + mapSrc[i]];
          writeRing(conv16, n, 1);
        } else {
          var out = conv as Float32Array;
          for (k = 0; k < n; k++) for (i = 0; i < C; i++) out[k * C + i] = rb[k * rawCh + mapSrc[i]] * mapScale[i];
          writeRing(out, n, 1);
        }
      }
      sensorSeq += n;
    }

    /** Samples lost (FIFO overflow): counted, and the windows that would include them are skipped. */
    function lose(n: number): void {
      counters[C_SENSOR_LOST] += n;
      counters[C_SENSOR_OVERFLOWS]++;
      sensorSeq += n;
      if (mode & MODE_PREDICT && stream === SENSOR_STREAM) jumpTo(sensorSeq);
    }

    function pollTick(): void {
      polling = false;
      if (mode === MODE_OFF || mpu === null) return;
      try {
        for (var k = 0; k < 8; k++) {
          var n = mpu.read(rawBuf as Int16Array, rawMax, k === 0);
          var now = board.now();
          if (n < 0) {
            // Everything since the last drain was in the overflowed FIFO, which the driver reset.
            var lost = Math.round((now - lastDrain) * rateHz);
            lastDrain = now;
            lose(lost > 0 ? lost : 1);
            break;
          }
          if (n > 0) deliver(n);
          if (n < rawMax) {
            lastDrain = now;
            break;
          }
        }
        busFailed = false;
      } catch (e) {
        if (!busFailed) sendError(E_SENSOR, 0xffffffff, 'sensor read failed: ' + String((e as Error).message || e));
        busFailed = true;
      }
      polling = true;
      board.later(pollTick, pollMs);
    }

    function onAccel(a: { x: number; y: number; z: number }): void {
      var rb = rawBuf as Int16Array;
      var o = pending * 3;
      rb[o] = Math.round(a.x * BANGLE_COUNTS_PER_G);
      rb[o + 1] = Math.round(a.y * BANGLE_COUNTS_PER_G);
      rb[o + 2] = Math.round(a.z * BANGLE_COUNTS_PER_G);
      if (++pending >= batch) {
        pending = 0;
        deliver(batch);
      }
    }

    function sensorStart(): void {
      if (sensorKind === KIND_MPU6050) {
        (mpu as MpuDriver).start();
        lastDrain = board.now();
        if (!polling) {
          polling = true;
          board.later(pollTick, pollMs);
        }
      } else bangleStart(bangle, rateHz, onAccel);
    }

    /** Stops sampling (called in the mode that is ending: Bangle samples still batched are delivered first). */
    function sensorStop(): void {
      if (sensorKind === KIND_MPU6050) (mpu as MpuDriver).stop();
      else {
        bangleStop(bangle, onAccel);
        var n = pending;
        pending = 0;
        if (n > 0) deliver(n);
      }
    }

    /** Why predicting on the sensor is impossible ('' when it is possible). */
    function predictProblem(): string {
      if (model === null) return modelError;
      if (!mapOk) return 'sensor.channels must map the ' + channels + ' model inputs';
      return '';
    }

    function setMode(m: number): void {
      var was = mode;
      try {
        if (m === MODE_OFF) {
          if (was !== MODE_OFF) sensorStop();
          mode = m;
          return;
        }
        mode = m;
        if (was === MODE_OFF) {
          sensorSeq = 0;
          sensorStart();
        }
      } catch (e) {
        mode = MODE_OFF;
        sensorFail(0xffffffff, 'sensor start failed: ' + String((e as Error).message || e));
        return;
      }
      if (m & MODE_PREDICT && !(was & MODE_PREDICT && stream === SENSOR_STREAM)) restartStream(SENSOR_STREAM, 0, sensorSeq);
    }

    /** Applies a requested mode; returns '' or why predicting is impossible (the mode then keeps only its record bit). */
    function requestMode(m: number): string {
      var problem = m & MODE_PREDICT ? predictProblem() : '';
      if (problem) m &= MODE_RECORD;
      wantMode = m;
      if (sensorOk) setMode(m);
      return problem;
    }

    function sendSensorInfo(): void {
      raw[0] = T_SENSOR;
      raw[1] = sensorKind;
      raw[2] = mode;
      raw[3] = sensorOk ? 1 : 0;
      raw[4] = rawCh;
      putU32(raw, 5, Math.round(rateHz * 1000));
      raw[9] = sensor ? sensor.accelRangeG || (sensorKind === KIND_BANGLE ? 4 : 0) : 0;
      putU16(raw, 10, sensor ? sensor.gyroRangeDps || 0 : 0);
      putU16(raw, 12, pollMs);
      putU32(raw, 14, sensorSeq);
      send(putText(18, sensor ? sensorError : 'no sensor in ' + CONFIG_FILE, MAX_FRAME - CRC_BYTES));
    }

    function handleSensorMode(f: Uint8Array, len: number): void {
      if (len !== 2 || f[1] > MODE_BOTH) {
        counters[C_BAD_PAYLOAD]++;
        sendError(E_STATE, 0, 'SENSOR_MODE takes one byte, 0..3');
        return;
      }
      if (sensor === null || sensorError) {
        sendError(E_SENSOR, 0xffffffff, sensor === null ? 'no sensor in ' + CONFIG_FILE : sensorError);
        return;
      }
      var problem = requestMode(f[1]);
      if (problem) sendError(model === null ? E_MODEL : E_STATE, 0, problem);
      else sendAck(0);
    }

    sensorApi = {
      modeFrame: handleSensorMode,
      info: sendSensorInfo,
      release: function () {
        if (mode & MODE_PREDICT) requestMode(mode & MODE_RECORD); // the host takes the ring over
      },
    };
    sensor = s;
    pollMs = s.pollMs >= 5 && s.pollMs <= 1000 ? Math.floor(s.pollMs) : 100;
    var m = s.mode === 'record' ? MODE_RECORD : s.mode === 'both' ? MODE_BOTH : s.mode === 'off' ? MODE_OFF : MODE_PREDICT;
    var ch = s.channels;
    var isMpu = s.kind === 'mpu6050';
    rawCh = isMpu ? 6 : 3;
    mapOk = !!ch && ch.length === channels && channels > 0;
    for (var i = 0; mapOk && i < ch.length; i++) {
      mapSrc.push(ch[i].src);
      mapScale.push(+ch[i].scale);
      if (!(ch[i].src >= 0 && ch[i].src < rawCh) || !isFinite(mapScale[i])) mapOk = false;
    }
    rawMax = Math.floor((MAX_PAYLOAD - RAW_HEADER) / (2 * rawCh));
    rawBuf = new Int16Array(rawMax * rawCh);
    if (mapOk && params16 !== null) conv16 = new Int16Array(rawMax * channels);
    else if (mapOk) conv = new Float32Array(rawMax * channels);
    if (!(s.rateHz > 0 && s.rateHz <= 1000)) {
      sensorFail(0, 'sensor.rateHz must be in (0, 1000]');
      return;
    }
    var problem = m & MODE_PREDICT ? predictProblem() : '';
    // Booting into predict without a usable model or mapping: say why (ERROR 2 was sent for a missing model) and only record.
    if (problem && model !== null) sendError(E_STATE, 0, problem);
    if (problem) m &= MODE_RECORD;
    if (isMpu) {
      sensorKind = KIND_MPU6050;
      var dlpf = s.dlpf >= 0 && s.dlpf <= 6 ? s.dlpf : 3;
      var div = mpuDivider(s.rateHz, dlpf);
      rateHz = mpuBaseHz(dlpf) / (1 + div);
      var afs = rangeIndex(s.accelRangeG || 4, MPU_ACCEL_G);
      var fs = rangeIndex(s.gyroRangeDps || 500, MPU_GYRO_DPS);
      if (afs < 0 || fs < 0) {
        sensorFail(0, 'sensor.accelRangeG / gyroRangeDps not an MPU-6050 range');
        return;
      }
      bus = board.i2c ? board.i2c(s.i2c || {}) : null;
      addr = s.address === 0x69 ? 0x69 : 0x68;
      if (bus === null) {
        sensorFail(0xffffffff, 'no I2C bus ' + ((s.i2c && s.i2c.bus) || 'I2C1') + ' on this board');
        return;
      }
      mpu = (mpuFactory.make as NonNullable<typeof mpuFactory.make>)(bus, addr);
      var id = mpu.whoAmI();
      if (id !== MPU_ID) {
        sensorFail(id < 0 ? 0xffffffff : id, id < 0 ? 'no MPU-6050 answered at I2C address 0x' + addr.toString(16) : 'WHO_AM_I is 0x' + id.toString(16) + ', an MPU-6050 says 0x68');
        return;
      }
      try {
        mpu.reset();
      } catch (e) {
        sensorFail(0xffffffff, 'MPU-6050 reset failed');
        return;
      }
      wantMode = m;
      // The reset takes up to 100 ms; configure after it, then enter the requested mode.
      board.later(function () {
        try {
          (mpu as MpuDriver).configure(div, dlpf, afs, fs);
        } catch (e) {
          sensorFail(0xffffffff, 'MPU-6050 configuration failed');
          return;
        }
        sensorOk = true;
        setMode(wantMode);
      }, 100);
    } else if (s.kind === 'bangle') {
      sensorKind = KIND_BANGLE;
      bangle = board.bangle ? board.bangle() : null;
      if (bangle === null) {
        sensorFail(0xffffffff, 'no Bangle accelerometer on this board');
        return;
      }
      rateHz = 1000 / banglePollMs(s.rateHz); // the poll interval bangleStart sets, clamped to 10..4000 ms
      batch = Math.max(1, Math.min(rawMax, Math.round((rateHz * pollMs) / 1000)));
      sensorOk = true;
      setMode(m);
    } else sensorFail(0, 'sensor.kind must be mpu6050 or bangle');
  };

  function handleFrame(f: Uint8Array, len: number): void {
    var type = f[0];
    if (type === T_SAMPLES) handleSamples(f, len);
    else if (type === T_HELLO) sendInfo();
    else if (type === T_STATUS_REQ) sendStatus();
    else if (type === T_START) {
      if (len !== 4) {
        counters[C_BAD_PAYLOAD]++;
        return;
      }
      // A host stream takes the ring over from the sensor's predictions (recording goes on).
      if (sensorApi) sensorApi.release();
      var id = getU16(f, 1);
      if (id !== stream || nextSeq !== 0) restartStream(id, f[3], 0);
      else reliable = (f[3] & START_RELIABLE) !== 0;
      sendAck(0);
    } else if (type === T_RESET) {
      for (var k = 0; k < COUNTER_COUNT; k++) counters[k] = 0;
      if (sensorApi) sensorApi.release(); // the host takes over, as with START
      restartStream(0, 0, 0);
      sendAck(0);
    } else if (type === T_SENSOR_MODE) {
      if (sensorApi) sensorApi.modeFrame(f, len);
      else sendError(E_SENSOR, 0xffffffff, 'no sensor in ' + CONFIG_FILE);
    } else if (type === T_SENSOR_REQ) {
      if (sensorApi) sensorApi.info();
      else {
        for (var j = 1; j < 18; j++) raw[j] = 0;
        raw[0] = T_SENSOR;
        send(putText(18, 'no sensor in ' + CONFIG_FILE, MAX_FRAME - CRC_BYTES));
      }
    } else counters[C_UNKNOWN_TYPE]++;
  }

  function receive(bytes: Uint8Array): void {
    var i = 0;
    var n = bytes.length;
    while (i < n) {
      i = decodeSome(dec, bytes, i);
      var r = dec.result;
      if (r === D_FRAME) {
        counters[C_FRAMES_OK]++;
        try {
          handleFrame(dec.frame, dec.length);
        } catch (e) {
          counters[C_BAD_PAYLOAD]++;
        }
      } else if (r === D_BAD_CRC) counters[C_BAD_CRC]++;
      else if (r === D_BAD_FRAMING) counters[C_BAD_FRAMING]++;
      else if (r === D_TOO_LONG) counters[C_TOO_LONG]++;
    }
  }

  if (board.crc32) setCrc32(board.crc32);
  resetDecoder(dec);
  readConfig();
  loadModel();
  restartStream(0, 0, 0);
  board.onData(receive);
  sendInfo();
  if (model === null) sendError(E_MODEL, 0, modelError);
  if (configError) sendError(E_STATE, 0, configError);
  setupSensor();
  setupSensor = null;
  return { receive: receive, counters: counters };
};
