/**
 * The C kernel (native-modules/core) compiled to WebAssembly
 * (build/native/tbn.wasm, built by native-modules/build.sh), loaded into
 * Node. This side owns the wasm linear memory above __heap_base: a small
 * first-fit allocator places each model's bytes, handle, scratch, input and
 * logits there; nothing is allocated per inference.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TbnInfo } from '../../device/board.ts';
import { TBN } from '../format/spec.ts';
import { STATUS, STATUS_NAMES } from './status.ts';
import { packagePath } from '../package-root.ts';

export const DEFAULT_WASM_PATH = packagePath('build', 'native', 'tbn.wasm');

export { STATUS_NAMES };

/** A non-OK status of the C kernel; message = tbn_status_string(status). */
export class KernelError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Layer index for layer/chain/offset errors of tbn_model_open, else -1. */
    readonly badLayer = -1,
  ) {
    super(message);
    this.name = 'KernelError';
  }
  get statusName(): string {
    return STATUS_NAMES[this.status] ?? `status ${this.status}`;
  }
}

/** tbn_model_info as the kernel reports it: the module's info without labels, plus kernel details. */
export interface KernelInfo extends Omit<TbnInfo, 'labels'> {
  /** Multiply-accumulates of one inference without reuse. */
  macs: number;
  /** One ping-pong half of the scratch. */
  activationBytes: number;
  /** Input quantisation channels Q: int16 input takes 3*Q (mult, add, shift) values. */
  quantCount: number;
}

/** The slice of the WebAssembly JS API used here (the ES2022 lib has no typings for it). */
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
}
const wasmApi = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  tbnw_heap_base(): number;
  tbnw_model_bytes(): number;
  tbnw_open(model: number, data: number, size: number): number;
  tbnw_bad_layer(model: number): number;
  tbnw_info(model: number, out: number): number;
  tbnw_label(model: number, index: number): number;
  tbnw_status_string(status: number): number;
  tbnw_run(
    model: number, input: number, inputType: number, inputLen: number, scratch: number, scratchLen: number,
    logits: number, logitsLen: number, classOut: number, reuse: number,
  ): number;
  tbnw_run_i16(
    model: number, samples: number, inputLen: number, params: number, paramsLen: number, scratch: number, scratchLen: number,
    logits: number, logitsLen: number, classOut: number, reuse: number,
  ): number;
}

const ALIGN = 16;
const align = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);

/** First-fit allocator over the wasm memory above __heap_base; grows memory on demand. */
class Heap {
  private free: { at: number; size: number }[] = [];
  private sizes = new Map<number, number>();
  private top: number;

  constructor(private memory: WasmMemory, base: number) {
    this.top = align(base);
  }

  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    const i = this.free.findIndex((b) => b.size >= size);
    let at: number;
    if (i >= 0) {
      const block = this.free[i] as { at: number; size: number };
      at = block.at;
      if (block.size === size) this.free.splice(i, 1);
      else {
        block.at += size;
        block.size -= size;
      }
    } else {
      at = this.top;
      const end = at + size;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        try {
          this.memory.grow(Math.ceil((end - have) / 65536));
        } catch {
          throw new KernelError(-1, `out of memory: cannot grow the wasm heap to ${end} bytes`);
        }
      }
      this.top = end;
    }
    this.sizes.set(at, size);
    return at;
  }

  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) return;
    this.sizes.delete(at);
    this.free.push({ at, size });
    this.free.sort((a, b) => a.at - b.at);
    // Merge neighbours; give the last block back to the top.
    const merged: { at: number; size: number }[] = [];
    for (const b of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.at + last.size === b.at) last.size += b.size;
      else merged.push({ ...b });
    }
    const tail = merged[merged.length - 1];
    if (tail && tail.at + tail.size === this.top) {
      this.top = tail.at;
      merged.pop();
    }
    this.free = merged;
  }

  /** Bytes currently handed out (for leak tests). */
  get inUse(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }
}

const cache = new Map<string, WasmKernel>();

export class WasmKernel {
  private readonly x: Exports;
  private readonly heap: Heap;
  private readonly handleBytes: number;

  private constructor(instance: WasmInstance) {
    this.x = instance.exports as unknown as Exports;
    this.heap = new Heap(this.x.memory, this.x.tbnw_heap_base());
    this.handleBytes = this.x.tbnw_model_bytes();
  }

  /** Loads (once per path) the wasm build of the kernel. */
  static load(path: string = DEFAULT_WASM_PATH): WasmKernel {
    const cached = cache.get(path);
    if (cached) return cached;
    if (!existsSync(path)) {
      throw new Error(`tbn kernel: ${path} is missing; build it with \`bash native-modules/build.sh\` (or \`npm run build\`)`);
    }
    const api = wasmApi();
    const kernel = new WasmKernel(new api.Instance(new api.Module(readFileSync(path)), {}));
    cache.set(path, kernel);
    return kernel;
  }

  /** Fresh, uncached instance (tests that need an isolated heap). */
  static loadFresh(path: string = DEFAULT_WASM_PATH): WasmKernel {
    if (!existsSync(path)) throw new Error(`tbn kernel: ${path} is missing; build it with \`bash native-modules/build.sh\``);
    const api = wasmApi();
    return new WasmKernel(new api.Instance(new api.Module(readFileSync(path)), {}));
  }

  get heapBytesInUse(): number {
    return this.heap.inUse;
  }

  statusString(status: number): string {
    return this.cString(this.x.tbnw_status_string(status));
  }

  /** Copies `bytes` into kernel memory and validates them (tbn_model_open). Throws KernelError. */
  open(bytes: Uint8Array): KernelModel {
    const size = bytes.length;
    const handle = this.heap.alloc(this.handleBytes);
    const data = this.heap.alloc(size);
    new Uint8Array(this.x.memory.buffer, data, size).set(bytes);
    const status = this.x.tbnw_open(handle, data, size);
    if (status !== STATUS.TBN_OK) {
      const badLayer = this.x.tbnw_bad_layer(handle);
      this.heap.release(handle);
      this.heap.release(data);
      throw new KernelError(status, this.statusString(status), badLayer);
    }
    return new KernelModel(this, this.x, this.heap, handle, data);
  }

  /** NUL-terminated UTF-8 string at `ptr`. */
  cString(ptr: number): string {
    const mem = new Uint8Array(this.x.memory.buffer);
    let end = ptr;
    while (mem[end] !== 0) end++;
    return new TextDecoder().decode(mem.subarray(ptr, end));
  }
}

export interface RunOptions {
  /** false: ignore TBN_LF_REUSE (same integers, no row sharing). Default true. */
  reuse?: boolean;
  /** Input element type when the caller already knows it (typed arrays from another realm). */
  f32?: boolean;
}

/** One opened model inside the wasm kernel, with its own scratch, input and logits buffers. */
export class KernelModel {
  readonly info: KernelInfo;
  readonly labels: string[];
  private scratch: number;
  private input: number;
  private logits: number;
  private classOut: number;
  /** Room for the int16 input triples: one (mult, add, shift) per quantisation channel. */
  private params: number;
  private readonly paramsCapacity: number;
  private closed = false;

  constructor(
    private kernel: WasmKernel,
    private x: Exports,
    private heap: Heap,
    private handle: number,
    private data: number,
  ) {
    const infoPtr = heap.alloc(13 * 4);
    const status = x.tbnw_info(handle, infoPtr);
    const w = new Uint32Array(x.memory.buffer, infoPtr, 13);
    this.info = {
      version: w[0] as number, fileBytes: w[1] as number, layers: w[2] as number, classes: w[3] as number,
      inH: w[4] as number, inW: w[5] as number, inC: w[6] as number, inputLen: w[7] as number,
      scratchBytes: w[8] as number, macs: (w[9] as number) + (w[10] as number) * 2 ** 32, activationBytes: w[11] as number,
      quantCount: w[12] as number,
    };
    heap.release(infoPtr);
    if (status !== STATUS.TBN_OK) throw new KernelError(status, kernel.statusString(status));
    this.labels = [];
    for (let i = 0; i < this.info.classes; i++) this.labels.push(kernel.cString(x.tbnw_label(handle, i)));
    this.paramsCapacity = TBN.TBN_I16_PARAMS_PER_CHANNEL * this.info.quantCount;
    const taken: number[] = [];
    const take = (bytes: number): number => {
      const p = heap.alloc(bytes);
      taken.push(p);
      return p;
    };
    try {
      this.scratch = take(this.info.scratchBytes);
      this.input = take(this.info.inputLen * 4);
      this.logits = take(this.info.classes * 4);
      this.classOut = take(4);
      this.params = take(this.paramsCapacity * 4);
    } catch (e) {
      for (const p of [handle, data, ...taken]) heap.release(p);
      throw e;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * One inference. `input` has exactly inputLen values; the integer logits go
   * to `logits` (at least `classes` long) when given. Returns the class.
   */
  run(input: Float32Array | Int8Array, logits?: Int32Array, opts: RunOptions = {}): number {
    if (this.closed) throw new KernelError(STATUS.TBN_E_ARG, 'model handle is closed');
    const isF32 = opts.f32 ?? Object.prototype.toString.call(input) === '[object Float32Array]';
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    new Uint8Array(this.x.memory.buffer, this.input, bytes.length).set(bytes);
    const status = this.x.tbnw_run(
      this.handle, this.input, isF32 ? 0 : 1, input.length, this.scratch, this.info.scratchBytes,
      this.logits, this.info.classes, this.classOut, opts.reuse === false ? 0 : 1,
    );
    return this.finish(status, logits);
  }

  /**
   * One inference on int16 sensor counts (tbn_format.h, INT16 INPUT) with the (mult, add, shift) triples
   * `params`, passed to the kernel as given (a wrong count or range is its TBN_E_PARAMS). Returns the class.
   */
  runInt16(counts: Int16Array, params: Int32Array, logits?: Int32Array, opts: { reuse?: boolean } = {}): number {
    if (this.closed) throw new KernelError(STATUS.TBN_E_ARG, 'model handle is closed');
    if (counts.length > this.info.inputLen * 2) throw new KernelError(STATUS.TBN_E_INPUT, this.kernel.statusString(STATUS.TBN_E_INPUT));
    new Int16Array(this.x.memory.buffer, this.input, counts.length).set(counts);
    // A longer params array is refused by the kernel on its length alone, before it reads any value.
    new Int32Array(this.x.memory.buffer, this.params, Math.min(params.length, this.paramsCapacity)).set(params.subarray(0, this.paramsCapacity));
    const status = this.x.tbnw_run_i16(
      this.handle, this.input, counts.length, this.params, params.length, this.scratch, this.info.scratchBytes,
      this.logits, this.info.classes, this.classOut, opts.reuse === false ? 0 : 1,
    );
    return this.finish(status, logits);
  }

  private finish(status: number, logits?: Int32Array): number {
    if (status !== STATUS.TBN_OK) throw new KernelError(status, this.kernel.statusString(status));
    if (logits) {
      const out = new Int32Array(this.x.memory.buffer, this.logits, this.info.classes);
      for (let i = 0; i < out.length; i++) logits[i] = out[i] as number;
    }
    return new Uint32Array(this.x.memory.buffer, this.classOut, 1)[0] as number;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [this.handle, this.data, this.scratch, this.input, this.logits, this.classOut, this.params]) this.heap.release(p);
  }
}
