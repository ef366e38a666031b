import type { I2cBus } from './sensors/mpu6050.ts';

/**
 * The small board interface the app is written against, and its implementation
 * over the Espruino globals. JerryScript's board main and the host simulator
 * provide the same globals (Serial1, require, getTime, process.memory, LED1,
 * setTimeout), so this one bundle runs on all three.
 */

export interface TbnInfo {
  version: number;
  fileBytes: number;
  layers: number;
  classes: number;
  inH: number;
  inW: number;
  inC: number;
  inputLen: number;
  scratchBytes: number;
  labels: string[];
}

/** The `tbn` native module (device/TBN_MODULE.md). */
export interface TbnModule {
  open(bytes: unknown): unknown;
  info(model: unknown): TbnInfo;
  /** Int16Array input (sensor counts) takes its (mult, add, shift) triples as `params`. */
  run(model: unknown, input: Float32Array | Int8Array | Int16Array, logits?: Int32Array, params?: Int32Array): number;
  close(model: unknown): void;
}

export interface Board {
  /** The I2C bus named in the sensor config, set up on its pins; null when the board has none. */
  i2c?: (opts: { bus?: string; scl?: string; sda?: string; bitrate?: number }) => I2cBus | null;
  /** Espruino's Bangle object on a Bangle.js, else null. */
  bangle?: () => any;
  /** Hands a prediction to user code (E.emit('tbn', p) on Espruino). */
  emit?: (p: unknown) => void;
  /** Sends bytes[0, length) on the protocol serial port. */
  write(bytes: Uint8Array, length: number): void;
  /** Registers the receive handler. */
  onData(handler: (bytes: Uint8Array) => void): void;
  /** Runs fn once after ms milliseconds (0 = after the current event). */
  later(fn: () => void, ms: number): void;
  led(on: boolean): void;
  /** A Storage file's bytes, or undefined when absent. */
  readFile(name: string): string | ArrayBuffer | undefined;
  tbn(): TbnModule;
  /** Seconds, with sub-millisecond resolution where the board has it. */
  now(): number;
  /** Free bytes of the JS heap / variable store. */
  freeBytes(): number;
  /** A native CRC-32 (zlib) of bytes[start, end), when the engine has one. */
  crc32?: (bytes: Uint8Array, start: number, end: number) => number;
}

/* Globals of the Espruino API the board uses. */
declare var I2C1: any;
declare var I2C2: any;
declare var I2C3: any;
declare var I2C: any;
declare var Bangle: any;
declare var LED2: any;
/** Engines without E.emit (our JerryScript main) call this global, when user code defines it, with each prediction. */
declare var onTbn: any;
declare var Serial1: any;
declare var LED1: any;
declare var E: any;
declare function require(name: string): any;
declare function getTime(): number;
declare function setTimeout(fn: () => void, ms: number): unknown;
declare var process: any;
/** JerryScript exposes the module as a global instead of through require. */
declare var tbn: any;

export var BAUD = 115200;

/** The board over Espruino's globals: protocol on Serial1 at BAUD, model in Storage (droppable after use, like appFactory). */
export var boardFactory: { espruino: (() => Board) | null } = { espruino: null };

boardFactory.espruino = function (): Board {
  var port = Serial1;
  var storage = require('Storage');
  // tbn.cfg may give the port's baud and setup options (pins; a device path on Espruino for Linux).
  var cfg = storage.readJSON ? storage.readJSON('tbn.cfg', true) : undefined;
  if (port.setup) port.setup((cfg && cfg.baud) || BAUD, (cfg && cfg.serial) || undefined);
  var led = typeof LED1 !== 'undefined' ? LED1 : null;
  if (cfg && cfg.sensor && cfg.sensor.led === 'LED2' && typeof LED2 !== 'undefined') led = LED2;
  var tbnModule: TbnModule | null = null;
  var hasE = typeof E !== 'undefined';
  // Espruino hands 'data' over as a binary String: one native conversion per chunk, no JS loop per byte.
  var toBytes = function (data: string | Uint8Array): Uint8Array {
    if (typeof data !== 'string') return data;
    if (hasE && E.toUint8Array) return E.toUint8Array(data);
    var b = new Uint8Array(data.length);
    for (var i = 0; i < data.length; i++) b[i] = data.charCodeAt(i) & 0xff;
    return b;
  };
  var board: Board = {
    write: function (bytes, length) {
      port.write(length === bytes.length ? bytes : new Uint8Array(bytes.buffer, 0, length));
    },
    onData: function (handler) {
      port.on('data', function (data: string | Uint8Array) {
        handler(toBytes(data));
      });
    },
    later: function (fn, ms) {
      setTimeout(fn, ms);
    },
    led: function (on) {
      if (led) led.write(on);
    },
    readFile: function (name) {
      return storage.read(name);
    },
    tbn: function () {
      if (tbnModule === null) tbnModule = (typeof tbn !== 'undefined' ? tbn : require('tbn')) as TbnModule;
      return tbnModule;
    },
    now: function () {
      return getTime();
    },
    freeBytes: function () {
      var m = process.memory(false);
      return m.free * (m.blocksize || 1);
    },
  };
  board.i2c = function (o) {
    var b = o.bus === 'I2C2' ? (typeof I2C2 !== 'undefined' ? I2C2 : null) : o.bus === 'I2C3' ? (typeof I2C3 !== 'undefined' ? I2C3 : null) : o.bus === 'soft' ? new I2C() : typeof I2C1 !== 'undefined' ? I2C1 : null;
    if (b && b.setup) b.setup({ scl: o.scl, sda: o.sda, bitrate: o.bitrate || 400000 });
    return b;
  };
  board.bangle = function () {
    return typeof Bangle !== 'undefined' ? Bangle : null;
  };
  board.emit = function (p) {
    if (hasE && E.emit) E.emit('tbn', p);
    else if (typeof onTbn === 'function') onTbn(p);
  };
  if (hasE && E.CRC32) {
    board.crc32 = function (bytes, start, end) {
      return E.CRC32(bytes.subarray(start, end)) >>> 0;
    };
  }
  return board;
};
