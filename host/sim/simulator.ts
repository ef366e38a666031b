/**
 * Runs the exact device bundle (build/device/app.js) in node:vm against the
 * Espruino shim, with the board's limits enforced before it starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { type BoardDefinition, checkFit, type FitResult } from '../boards.ts';
import { TbnError } from '../errors.ts';
import { packagePath } from '../package-root.ts';
import { COUNTER_COUNT } from '../../device/protocol.ts';
import { createEspruinoShim, type EspruinoShim } from './espruino-shim.ts';
import type { TbnModuleLike } from './tbn-module.ts';
import type { SimClock } from './clock.ts';
import type { SimSensor } from './sensor-sim.ts';

export const MODEL_FILE = 'model.tbn';
export const CONFIG_FILE = 'tbn.cfg';

export function defaultBundlePath(): string {
  return packagePath('build', 'device', 'app.js');
}

export function readBundle(file: string = defaultBundlePath()): string {
  if (!existsSync(file)) throw new TbnError('E_BUNDLE', `device bundle ${file} not found; build it with: npm run build`);
  return readFileSync(file, 'latin1');
}

export interface AppConfig {
  /** Samples between inferences (default: half the window). */
  stride?: number;
  /** Ring buffer length in samples. */
  ring?: number;
  /** Set when tbn.cfg configures the board's own sensor (its code is then created at start). */
  sensor?: boolean;
}

/**
 * Bundle bytes whose code the app never creates when tbn.cfg configures no sensor (the sensor setup
 * and the MPU-6050 driver factory, dropped after start). Measured on Espruino for Linux with the
 * 12,766-byte bundle: 1,959 variables with that code created, 1,617 without: 342 x 27 B = 9,234 B
 * of variable store, ~2,900 bundle bytes at CODE_STORE_PER_BUNDLE_BYTE.
 */
export const LAZY_SENSOR_CODE_BYTES = 2900;

/** What the app allocates once at start, besides the model's scratch: ring, window, logits, frame buffers. */
export function appBufferBytes(info: { inH: number; inW: number; inC: number; inputLen: number; classes: number }, cfg: AppConfig = {}): number {
  const windowLen = info.inH * info.inW;
  const stride = cfg.stride ?? Math.max(1, Math.floor(windowLen / 2));
  const cap = Math.max(windowLen + Math.max(2 * stride, 16), cfg.ring ?? 0);
  return cap * info.inC * 4 + info.inputLen * 4 + info.classes * 4 + 4 * 256 + COUNTER_COUNT * 4 + 512;
}

/**
 * JS-variable bytes per bundle byte for the app's code and fixed state (function code strings,
 * closures, scopes, small objects). Measured on Espruino for Linux (2v29, 27-byte variables):
 * the running app took 1,337 variables, of which ~573 hold the model copy (Linux only), the
 * buffers and the scratch; the other 764 x 27 B over the 6,463-byte bundle = 3.2.
 */
const CODE_STORE_PER_BUNDLE_BYTE = 3.2;
/** Typed arrays are flat strings: their bytes plus a few header variables (measured ~1.0-1.05x on Linux). */
const BUFFER_STORE_PER_BYTE = 1.05;

export interface SimLimits {
  fit: FitResult;
  jsVarsUsed: number;
  bundleBytes: number;
  modelBytes: number;
  scratchBytes: number;
  bufferBytes: number;
}

/**
 * Estimates the board resources the app and model take: model bytes in
 * Storage, the scratch RAM, and JS variables for the code (Espruino keeps
 * function code as strings) and every buffer (flat strings), calibrated on
 * Espruino for Linux; the model itself stays in flash (Storage.read maps it).
 */
export function estimateLimits(board: BoardDefinition, bundleBytes: number, modelBytes: number, info: Parameters<typeof appBufferBytes>[0] & { scratchBytes: number }, cfg: AppConfig = {}): SimLimits {
  const bufferBytes = appBufferBytes(info, cfg);
  const liveCodeBytes = cfg.sensor ? bundleBytes : Math.max(0, bundleBytes - LAZY_SENSOR_CODE_BYTES);
  const jsVarsUsed = Math.ceil((CODE_STORE_PER_BUNDLE_BYTE * liveCodeBytes) / board.jsVarBytes) + Math.ceil((BUFFER_STORE_PER_BYTE * bufferBytes) / board.jsVarBytes) + 20;
  const fit = checkFit(board, { modelBytes, scratchBytes: info.scratchBytes, bundleBytes, jsVars: jsVarsUsed });
  return { fit, jsVarsUsed, bundleBytes, modelBytes, scratchBytes: info.scratchBytes, bufferBytes };
}

export interface SimulatorOptions {
  board: BoardDefinition;
  /** The bundle source. */
  bundle: string;
  model: Uint8Array;
  tbn: TbnModuleLike;
  config?: AppConfig;
  /** Receives every byte chunk the app sends. */
  transmit(bytes: Uint8Array): void;
  /** Receives exceptions escaping the app's callbacks (a healthy app has none). */
  onAppError?(e: unknown): void;
  /** Drives the app's timers and getTime() (default: real time). */
  clock?: SimClock;
  /** The board's own emulated sensor; its config goes into tbn.cfg as `sensor`. */
  sensor?: SimSensor;
  /** User code run after the app in the same context (e.g. `E.on('tbn', ...)`). */
  userCode?: string;
}

export class Simulator {
  readonly limits: SimLimits;
  private readonly shim: EspruinoShim;
  private readonly context: vm.Context;
  private errors: unknown[] = [];
  readonly sensor: SimSensor | undefined;

  private constructor(opts: SimulatorOptions, limits: SimLimits) {
    this.limits = limits;
    const storage = new Map<string, Uint8Array>();
    if (opts.model.length > 0) storage.set(MODEL_FILE, opts.model);
    const cfg: Record<string, unknown> = {};
    if (opts.config?.stride !== undefined) cfg.stride = opts.config.stride;
    if (opts.config?.ring !== undefined) cfg.ring = opts.config.ring;
    if (opts.sensor) cfg.sensor = opts.sensor.config;
    if (Object.keys(cfg).length > 0) storage.set(CONFIG_FILE, new TextEncoder().encode(JSON.stringify(cfg)));
    this.sensor = opts.sensor;
    const scratchVars = 1 + Math.ceil(limits.scratchBytes / opts.board.jsVarBytes);
    this.shim = createEspruinoShim({
      storage,
      tbn: opts.tbn,
      transmit: opts.transmit,
      jsVars: opts.board.jsVars,
      jsVarBytes: opts.board.jsVarBytes,
      usedVars: () => limits.jsVarsUsed + scratchVars,
      onAppError: (e) => {
        this.errors.push(e);
        opts.onAppError?.(e);
      },
      clock: opts.clock,
      peripherals: opts.sensor ? (guard) => (opts.sensor as SimSensor).peripherals(guard) : undefined,
    });
    this.context = vm.createContext(this.shim.globals, { name: `tbn-sim:${opts.board.name}` });
    new vm.Script(opts.bundle, { filename: 'app.js' }).runInContext(this.context);
    if (opts.userCode) new vm.Script(opts.userCode, { filename: 'user.js' }).runInContext(this.context);
  }

  /** Runs more code in the board's context (what typing into the REPL would do). */
  run(code: string): unknown {
    return new vm.Script(code, { filename: 'user.js' }).runInContext(this.context);
  }

  /**
   * Checks the model against the board, then starts the bundle. A model that
   * does not fit is refused with a TbnError listing the numbers.
   */
  static start(opts: SimulatorOptions): Simulator {
    // No model at all is allowed with a sensor: the board can record before any model exists.
    let info = { inH: 0, inW: 0, inC: 0, inputLen: 0, classes: 0, scratchBytes: 0 };
    let handle: unknown;
    if (opts.model.length > 0 || !opts.sensor) {
      try {
        handle = opts.tbn.open(opts.model);
        info = opts.tbn.info(handle);
      } catch (e) {
        throw new TbnError('E_MODEL', `the model does not open: ${(e as Error).message}`);
      } finally {
        if (handle !== undefined) opts.tbn.close(handle);
      }
    }
    const limits = estimateLimits(opts.board, Buffer.byteLength(opts.bundle, 'latin1'), opts.model.length, info, { ...opts.config, sensor: opts.sensor !== undefined });
    if (!limits.fit.fits) {
      throw new TbnError('E_FIT', `the model does not fit the ${opts.board.name}:\n  ${limits.fit.problems.join('\n  ')}`);
    }
    return new Simulator(opts, limits);
  }

  /** Bytes arriving on the board's Serial1. */
  receive(bytes: Uint8Array): void {
    this.shim.deliver(bytes);
  }

  /** Exceptions that escaped the app (should stay empty). */
  appErrors(): unknown[] {
    return this.errors;
  }

  ledToggles(): number {
    return this.shim.ledToggles();
  }

  stop(): void {
    this.sensor?.stop();
    this.shim.stop();
  }
}
