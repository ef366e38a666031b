/**
 * The simulator's `tbn` module: exactly the API of device/TBN_MODULE.md,
 * backed by the WebAssembly build of the C kernel (wasm-kernel.ts). The
 * simulator exposes it to the device bundle as require("tbn").
 */
import { KernelError, type KernelModel, WasmKernel } from './wasm-kernel.ts';
import type { TbnInfo } from '../../device/board.ts';

/** What tbn.info(model) returns (device/TBN_MODULE.md); one definition, shared with the device app. */
export type TbnModuleInfo = TbnInfo;

/** Opaque model handle. */
export type TbnHandle = object;

export interface TbnModule {
  open(bytes: unknown): TbnHandle;
  info(model: unknown): TbnModuleInfo;
  run(model: unknown, input: unknown, logits?: unknown, params?: unknown): number;
  close(model: unknown): void;
}

/** Realm-independent type tag: the device bundle may run in a node:vm context with its own typed arrays. */
function tag(x: unknown): string {
  return Object.prototype.toString.call(x).slice(8, -1);
}

function toBytes(bytes: unknown): Uint8Array {
  if (typeof bytes === 'string') {
    const out = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes.charCodeAt(i);
      if (c > 0xff) throw new TypeError(`tbn: open: the String has a character above 0xFF at index ${i}; model strings hold bytes`);
      out[i] = c;
    }
    return out;
  }
  if (tag(bytes) === 'ArrayBuffer') return new Uint8Array(bytes as ArrayBuffer);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new TypeError('tbn: open expects a String, an ArrayBuffer or a typed array');
}

/** Creates a `tbn` module over a kernel instance (default: the shared wasm build). */
export function createTbnModule(kernel: WasmKernel = WasmKernel.load()): TbnModule {
  const models = new WeakMap<object, KernelModel>();
  const finalizer = new FinalizationRegistry<KernelModel>((m) => m.close());

  const modelOf = (handle: unknown): KernelModel => {
    const m = typeof handle === 'object' && handle !== null ? models.get(handle) : undefined;
    if (!m) throw new Error('tbn: not a model handle from tbn.open');
    if (m.isClosed) throw new Error('tbn: the model handle is closed');
    return m;
  };

  return {
    open(bytes: unknown): TbnHandle {
      const data = toBytes(bytes);
      let model: KernelModel;
      try {
        model = kernel.open(data);
      } catch (e) {
        if (e instanceof KernelError) throw new Error(`tbn: ${e.message}`);
        throw e;
      }
      const handle = Object.freeze(Object.create(null) as object);
      models.set(handle, model);
      finalizer.register(handle, model, handle);
      return handle;
    },

    info(handle: unknown): TbnModuleInfo {
      const m = modelOf(handle);
      const i = m.info;
      return {
        version: i.version, fileBytes: i.fileBytes, layers: i.layers, classes: i.classes, inH: i.inH, inW: i.inW,
        inC: i.inC, inputLen: i.inputLen, scratchBytes: i.scratchBytes, labels: m.labels.slice(),
      };
    },

    run(handle: unknown, input: unknown, logits?: unknown, params?: unknown): number {
      const m = modelOf(handle);
      const kind = tag(input);
      if (kind !== 'Float32Array' && kind !== 'Int8Array' && kind !== 'Int16Array') {
        throw new TypeError('tbn: run expects a Float32Array, an Int8Array or an Int16Array input');
      }
      if (kind === 'Int16Array' && tag(params) !== 'Int32Array') {
        throw new TypeError('tbn: an Int16Array input needs its parameters as an Int32Array (4th argument)');
      }
      if (kind !== 'Int16Array' && params !== undefined) throw new TypeError('tbn: parameters are for Int16Array input only');
      const x = input as Float32Array | Int8Array | Int16Array;
      if (x.length !== m.info.inputLen) {
        throw new TypeError(`tbn: input has ${x.length} values, the model takes ${m.info.inputLen}`);
      }
      if (logits !== undefined) {
        if (tag(logits) !== 'Int32Array') throw new TypeError('tbn: logits must be an Int32Array');
        const l = logits as Int32Array;
        if (l.length < m.info.classes) {
          throw new TypeError(`tbn: logits has ${l.length} elements, the model has ${m.info.classes} classes`);
        }
      }
      try {
        // the kernel checks the parameters' count (3 per channel) and ranges (TBN_E_PARAMS)
        if (kind === 'Int16Array') return m.runInt16(x as Int16Array, params as Int32Array, logits as Int32Array | undefined);
        return m.run(x as Float32Array | Int8Array, logits as Int32Array | undefined, { f32: kind === 'Float32Array' });
      } catch (e) {
        if (e instanceof KernelError) throw new Error(`tbn: ${e.message}`);
        throw e;
      }
    },

    close(handle: unknown): void {
      const m = typeof handle === 'object' && handle !== null ? models.get(handle) : undefined;
      if (!m) throw new Error('tbn: not a model handle from tbn.open');
      if (m.isClosed) throw new Error('tbn: the model handle is closed');
      finalizer.unregister(handle as object);
      m.close();
    },
  };
}
