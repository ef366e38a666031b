/**
 * The subset of the Espruino API the device bundle uses, for running it in
 * node:vm: Serial1 (on 'data' / write / setup), timers, getTime, LED1,
 * require('Storage').read, require('tbn'), process.memory and E.getSizeOf.
 */
import { crc32 } from '../format/crc32.ts';
import { RealClock, type SimClock } from './clock.ts';
import type { TbnModuleLike } from './tbn-module.ts';

/**
 * This realm's binary-data constructors, for node:vm contexts: values that cross into the tbn
 * module keep their identity, so its typed-array checks accept arrays made inside the sandbox.
 */
export const HOST_TYPED_ARRAYS = {
  ArrayBuffer,
  DataView,
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
};

export interface ShimOptions {
  /** Storage files by name; read() returns them as binary strings, as Espruino does. */
  storage: Map<string, Uint8Array>;
  tbn: TbnModuleLike;
  /** Called with every byte chunk the app writes to Serial1. */
  transmit(bytes: Uint8Array): void;
  /** JS variable store: total variables and bytes per variable (process.memory). */
  jsVars: number;
  jsVarBytes: number;
  /** Variables in use besides what the app allocates at run time (code, buffers). */
  usedVars: () => number;
  /** Called when an app callback throws (the real engine would print it on the console). */
  onAppError(e: unknown): void;
  /** Drives timers and getTime() (default: real time). */
  clock?: SimClock;
  /** Extra globals (emulated peripherals: I2C1, Bangle), given the shim's callback guard. */
  peripherals?: (guard: (fn: () => void) => () => void) => Record<string, unknown>;
}

export interface EspruinoShim {
  /** The global object to contextify. */
  globals: Record<string, unknown>;
  /** Delivers received bytes to Serial1's 'data' handlers as one binary string. */
  deliver(bytes: Uint8Array): void;
  /** LED1 state changes so far. */
  ledToggles(): number;
  /** Cancels every pending timer. */
  stop(): void;
}

function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
    return out;
  }
  if (typeof data === 'number') return Uint8Array.of(data & 0xff);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (data instanceof ArrayBuffer) return new Uint8Array(data).slice();
  if (Array.isArray(data)) return Uint8Array.from(data.map((v) => Number(v) & 0xff));
  throw new TypeError(`Serial1.write: unsupported data ${Object.prototype.toString.call(data)}`);
}

export function createEspruinoShim(opts: ShimOptions): EspruinoShim {
  const handlers: Array<(data: string) => void> = [];
  let stopped = false;
  let toggles = 0;
  let ledState = false;

  const guard = (fn: () => void) => () => {
    if (stopped) return;
    try {
      fn();
    } catch (e) {
      opts.onAppError(e);
    }
  };

  const serial = {
    setup(_baud?: number, _opts?: unknown) {},
    on(event: string, fn: (data: string) => void) {
      if (event === 'data') handlers.push(fn);
    },
    removeAllListeners(event?: string) {
      if (event === undefined || event === 'data') handlers.length = 0;
    },
    write(...items: unknown[]) {
      for (const it of items) opts.transmit(toBytes(it));
    },
    print(s: unknown) {
      opts.transmit(toBytes(String(s)));
    },
  };

  // setTimeout(fn, 0) means "after the current event" on Espruino: the clock runs it next, without node's 1 ms minimum.
  const clock = opts.clock ?? new RealClock();
  const setTimeoutShim = (fn: () => void, ms?: number) => clock.setTimeout(guard(fn), ms ?? 0);
  const setIntervalShim = (fn: () => void, ms?: number) => clock.setInterval(guard(fn), Math.max(1, ms ?? 0));
  const clearShim = (t: unknown) => clock.clear(t);
  const events = new Map<string, Array<(...a: unknown[]) => void>>();

  const binaryString = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  const storage = {
    read(name: string, offset?: number, length?: number) {
      const f = opts.storage.get(name);
      if (f === undefined) return undefined;
      const start = offset ?? 0;
      return binaryString(f.subarray(start, length === undefined ? f.length : start + length));
    },
    readArrayBuffer(name: string) {
      const f = opts.storage.get(name);
      return f === undefined ? undefined : f.slice().buffer;
    },
    readJSON(name: string) {
      const f = opts.storage.get(name);
      return f === undefined ? undefined : JSON.parse(binaryString(f));
    },
    list() {
      return [...opts.storage.keys()];
    },
  };

  const globals: Record<string, unknown> = {
    Serial1: serial,
    LED1: {
      write(on: unknown) {
        const v = Boolean(on);
        if (v !== ledState) toggles++;
        ledState = v;
      },
    },
    require(name: string) {
      if (name === 'Storage') return storage;
      if (name === 'tbn') return opts.tbn;
      throw new Error(`Module ${name} not found`);
    },
    getTime() {
      return clock.now() / 1000;
    },
    process: {
      memory(_gc?: boolean) {
        const used = Math.min(opts.jsVars, opts.usedVars());
        return { free: opts.jsVars - used, usage: used, total: opts.jsVars, blocksize: opts.jsVarBytes };
      },
      env: { VERSION: 'tbn-sim' },
    },
    E: {
      getSizeOf(_v: unknown) {
        return 1;
      },
      toUint8Array(...args: unknown[]) {
        const parts = args.map(toBytes);
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      },
      CRC32(data: unknown) {
        const b = toBytes(data);
        return crc32(b, 0, b.length);
      },
      on(event: string, fn: (...a: unknown[]) => void) {
        const l = events.get(event) ?? [];
        l.push(fn);
        events.set(event, l);
      },
      removeListener(event: string, fn: (...a: unknown[]) => void) {
        events.set(event, (events.get(event) ?? []).filter((f) => f !== fn));
      },
      emit(event: string, ...args: unknown[]) {
        for (const fn of [...(events.get(event) ?? [])]) guard(() => fn(...args))();
      },
    },
    setTimeout: setTimeoutShim,
    setInterval: setIntervalShim,
    clearTimeout: clearShim,
    clearInterval: clearShim,
    print: () => {},
    console: { log: () => {} },
    // Typed arrays from this realm, so arrays the app creates pass the tbn module's type checks unchanged.
    ...HOST_TYPED_ARRAYS,
    ...(opts.peripherals ? opts.peripherals(guard) : {}),
  };
  return {
    globals,
    deliver(bytes: Uint8Array) {
      if (stopped || handlers.length === 0) return;
      const s = binaryString(bytes);
      for (const h of handlers) guard(() => h(s))();
    },
    ledToggles: () => toggles,
    stop() {
      stopped = true;
      clock.stop();
    },
  };
}
