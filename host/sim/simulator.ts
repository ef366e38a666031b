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
import { createEspruinoShim, type EspruinoShim } from './espruino-shim.ts';
import type { TbnModuleLike } from './tbn-module.ts';

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
}

/** What the app allocates once at start, besides the model's scratch: ring, window, logits, frame buffers. */
export function appBufferBytes(info: { inH: number; inW: number; inC: number; inputLen: number; classes: number }, cfg: AppConfig = {}): number {
  const windowLen = info.inH * info.inW;
  const stride = cfg.stride ?? Math.max(1, Math.floor(windowLen / 2));
  const cap = Math.max(windowLen + Math.max(2 * stride, 16), cfg.ring ?? 0);
  return cap * info.inC * 4 + info.inputLen * 4 + info.classes * 4 + 4 * 256 + 14 * 4 + 512;
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
  const jsVarsUsed = Math.ceil((CODE_STORE_PER_BUNDLE_BYTE * bundleBytes) / board.jsVarBytes) + Math.ceil((BUFFER_STORE_PER_BYTE * bufferBytes) / board.jsVarBytes) + 20;
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
}

export class Simulator {
  readonly limits: SimLimits;
  private readonly shim: EspruinoShim;
  private errors: unknown[] = [];

  private constructor(opts: SimulatorOptions, limits: SimLimits) {
    this.limits = limits;
    const storage = new Map<string, Uint8Array>([[MODEL_FILE, opts.model]]);
    if (opts.config && (opts.config.stride !== undefined || opts.config.ring !== undefined)) {
      storage.set(CONFIG_FILE, new TextEncoder().encode(JSON.stringify(opts.config)));
    }
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
    });
    const context = vm.createContext(this.shim.globals, { name: `tbn-sim:${opts.board.name}` });
    new vm.Script(opts.bundle, { filename: 'app.js' }).runInContext(context);
  }

  /**
   * Checks the model against the board, then starts the bundle. A model that
   * does not fit is refused with a TbnError listing the numbers.
   */
  static start(opts: SimulatorOptions): Simulator {
    let info;
    let handle: unknown;
    try {
      handle = opts.tbn.open(opts.model);
      info = opts.tbn.info(handle);
    } catch (e) {
      throw new TbnError('E_MODEL', `the model does not open: ${(e as Error).message}`);
    } finally {
      if (handle !== undefined) opts.tbn.close(handle);
    }
    const limits = estimateLimits(opts.board, Buffer.byteLength(opts.bundle, 'latin1'), opts.model.length, info, opts.config);
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
    this.shim.stop();
  }
}
