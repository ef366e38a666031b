/**
 * The device app: receives sample frames, keeps a ring buffer of samples,
 * runs the model every `stride` samples and sends predictions back.
 * Every buffer is allocated once at start; nothing is allocated per sample.
 */
import type { Board, TbnInfo, TbnModule } from './board.ts';
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
  C_SEQ_GAPS,
  C_TOO_LONG,
  C_TX_FRAMES,
  C_UNKNOWN_TYPE,
  D_BAD_CRC,
  D_BAD_FRAMING,
  D_FRAME,
  D_TOO_LONG,
  E_INFERENCE,
  E_MODEL,
  E_OVERRUN,
  E_SAMPLES,
  E_STATE,
  FMT_F32,
  FMT_I16,
  MAX_ENCODED,
  MAX_FRAME,
  PROTOCOL_VERSION,
  SAMPLES_HEADER,
  START_RELIABLE,
  T_ACK,
  T_ERROR,
  T_HELLO,
  T_INFO,
  T_PREDICTION,
  T_RESET,
  T_SAMPLES,
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
/** Optional JSON config in Storage: { "stride": samples, "ring": samples, "baud": n, "serial": Serial.setup options }. */
export var CONFIG_FILE = 'tbn.cfg';
/** Logits beyond this many are not sent (the frame would exceed MAX_FRAME). */
export var MAX_LOGITS = 58;

export interface App {
  /** Feeds received bytes. Never throws. */
  receive(bytes: Uint8Array): void;
  counters: Uint32Array;
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
  var windowLen = 0; // samples (positions) per inference
  var channels = 0;
  var stride = 1;
  var cap = 0; // ring capacity in samples
  var ring: Float32Array | null = null;
  var input: Float32Array | null = null;
  var logits: Int32Array | null = null;

  var stream = 0;
  var reliable = false;
  var nextSeq = 0; // next sample expected
  var validFrom = 0; // first sample after the last gap
  var nextEnd = 0; // end (exclusive) of the next window to infer
  var scheduled = false;
  var ledOn = false;

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
      var cfgText = board.readFile(CONFIG_FILE);
      if (typeof cfgText === 'string' && cfgText.length > 0) {
        var cfg: any = null;
        try {
          cfg = JSON.parse(cfgText);
        } catch (e) {
          configError = CONFIG_FILE + ' is not JSON; using the defaults';
        }
        if (cfg && cfg.stride >= 1 && cfg.stride <= 65535) stride = Math.floor(cfg.stride);
        if (cfg && cfg.ring >= 1 && cfg.ring <= 65535) ringLen = Math.floor(cfg.ring);
      }
      cap = windowLen + Math.max(2 * stride, 16);
      if (ringLen > cap) cap = ringLen;
      ring = new Float32Array(cap * channels);
      input = new Float32Array(info.inputLen);
      logits = new Int32Array(info.classes);
    } catch (e) {
      model = null;
      info = null;
      modelError = String((e as Error).message || e);
    }
  }

  function send(len: number): void {
    var n = encodeFrame(raw, len, enc);
    if (n > 0) {
      board.write(enc, n);
      counters[C_TX_FRAMES]++;
    }
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
    var limit = MAX_FRAME - 2;
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

  function restartStream(id: number, flags: number): void {
    stream = id;
    reliable = (flags & START_RELIABLE) !== 0;
    nextSeq = 0;
    validFrom = 0;
    nextEnd = windowLen;
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

  /** Infers the window ending at nextEnd (complete in the ring) and sends its PREDICTION. */
  function inferNext(): void {
    var r = ring as Float32Array;
    var x = input as Float32Array;
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
      cls = (tbn as TbnModule).run(model, x, lg);
    } catch (e) {
      counters[C_INFERENCE_ERRORS]++;
      sendError(E_INFERENCE, end, String((e as Error).message || e));
      return;
    }
    var micros = Math.round((board.now() - t0) * 1e6);
    counters[C_PREDICTIONS]++;
    ledOn = !ledOn;
    board.led(ledOn);
    var classes = lg.length;
    var sent = classes > MAX_LOGITS ? MAX_LOGITS : classes;
    raw[0] = T_PREDICTION;
    putU16(raw, 1, stream);
    putU32(raw, 3, end);
    putU16(raw, 7, cls);
    putU32(raw, 9, micros > 0 ? micros : 0);
    putU32(raw, 13, board.freeBytes());
    raw[17] = sent;
    for (var c = 0; c < sent; c++) putU32(raw, 18 + 4 * c, lg[c]);
    send(18 + 4 * sent);
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
    if (id !== stream) {
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
      // Windows already complete are inferred now, before the gap's samples overwrite them.
      while (nextEnd <= nextSeq) inferNext();
      counters[C_DROPPED_SAMPLES] += seq - nextSeq;
      nextSeq = seq;
      validFrom = seq;
      // The first window starting at or after the gap (arithmetic: a far-off seq must not loop).
      var firstEnd = windowLen + Math.ceil(validFrom / stride) * stride;
      if (nextEnd < firstEnd) nextEnd = firstEnd;
    }
    var skip = nextSeq - seq;
    if (skip >= count) {
      counters[C_DUPLICATES]++;
      sendAck(0);
      return;
    }
    var r = ring as Float32Array;
    var n = count - skip;
    var values = n * ch;
    var from = SAMPLES_HEADER + 1 + skip * ch * width;
    sampleU8.set(f.subarray(from, from + values * width), 0);
    // Writing up to sample `last` overwrites sample last - cap: windows still needing it are lost. Say so.
    var last = nextSeq + n - 1;
    while (nextEnd - windowLen <= last - cap) {
      counters[C_OVERRUNS]++;
      sendError(E_OVERRUN, nextEnd, 'overrun: window skipped');
      nextEnd += stride;
    }
    var slot = nextSeq % cap;
    var part = cap - slot;
    if (part > n) part = n;
    var src = width === 4 ? sampleF32 : sampleI16;
    r.set(src.subarray(0, part * ch), slot * ch);
    if (part < n) r.set(src.subarray(part * ch, values), 0);
    if (width === 2 && shift !== 0) {
      var scale = 1 / (1 << shift);
      var k: number;
      for (k = slot * ch; k < (slot + part) * ch; k++) r[k] *= scale;
      for (k = 0; k < (n - part) * ch; k++) r[k] *= scale;
    }
    nextSeq += n;
    counters[C_SAMPLES] += n;
    if (reliable) sendAck(0);
    schedule();
  }

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
      var id = getU16(f, 1);
      if (id !== stream || nextSeq !== 0) restartStream(id, f[3]);
      else reliable = (f[3] & START_RELIABLE) !== 0;
      sendAck(0);
    } else if (type === T_RESET) {
      for (var k = 0; k < COUNTER_COUNT; k++) counters[k] = 0;
      restartStream(0, 0);
      sendAck(0);
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
  loadModel();
  restartStream(0, 0);
  board.onData(receive);
  sendInfo();
  if (model === null) sendError(E_MODEL, 0, modelError);
  if (configError) sendError(E_STATE, 0, configError);
  return { receive: receive, counters: counters };
};
