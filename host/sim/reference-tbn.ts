/**
 * The device/TBN_MODULE.md API over the TypeScript integer reference: the
 * ground truth the simulator's wasm kernel is compared with, and a fallback
 * `tbn sim --kernel reference` when the wasm build is absent.
 */
import { readModel } from '../format/reader.ts';
import type { PackedModel } from '../format/model.ts';
import { runReference, runReferenceInt16 } from '../reference/infer.ts';
import type { TbnInfo, TbnModuleLike } from './tbn-module.ts';

interface Handle {
  model: PackedModel | null;
}

function bytesOf(bytes: unknown): Uint8Array {
  if (typeof bytes === 'string') return Uint8Array.from(Buffer.from(bytes, 'latin1'));
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new TypeError('tbn: bytes must be a String, ArrayBuffer or typed array');
}

export function referenceTbnModule(): TbnModuleLike {
  const live = (m: unknown): PackedModel => {
    const h = m as Handle;
    if (!h || typeof h !== 'object' || !('model' in h) || h.model === null) throw new Error('tbn: closed or invalid model handle');
    return h.model;
  };
  return {
    open(bytes) {
      try {
        return { model: readModel(bytesOf(bytes)) } satisfies Handle;
      } catch (e) {
        if (e instanceof TypeError) throw e;
        throw new Error(`tbn: ${(e as Error).message}`);
      }
    },
    info(m): TbnInfo {
      const model = live(m);
      const [inH, inW, inC] = model.inShape;
      return { version: model.version, fileBytes: model.fileBytes, layers: model.layers.length, classes: model.classes.length, inH, inW, inC, inputLen: inH * inW * inC, scratchBytes: model.scratchBytes, labels: [...model.classes] };
    },
    run(m, input, logits, params) {
      const model = live(m);
      const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
      if (!(input instanceof Float32Array) && !(input instanceof Int8Array) && !(input instanceof Int16Array)) {
        throw new TypeError('tbn: run expects a Float32Array, an Int8Array or an Int16Array input');
      }
      if (input instanceof Int16Array && !(params instanceof Int32Array)) throw new TypeError('tbn: an Int16Array input needs its parameters as an Int32Array (4th argument)');
      if (!(input instanceof Int16Array) && params !== undefined) throw new TypeError('tbn: parameters are for Int16Array input only');
      if (input.length !== len) throw new TypeError(`tbn: input has ${input.length} values, the model takes ${len}`);
      if (logits !== undefined && !(logits instanceof Int32Array)) throw new TypeError('tbn: logits must be an Int32Array');
      let r;
      if (input instanceof Int16Array) {
        try {
          r = runReferenceInt16(model, input, params as Int32Array);
        } catch (e) {
          throw new Error(`tbn: ${(e as Error).message}`);
        }
      } else {
        r = runReference(model, input);
      }
      if (logits) {
        if (logits.length < r.logits.length) throw new TypeError(`tbn: logits has ${logits.length} elements, the model has ${r.logits.length} classes`);
        logits.set(r.logits);
      }
      return r.cls;
    },
    close(m) {
      live(m);
      (m as Handle).model = null;
    },
  };
}
