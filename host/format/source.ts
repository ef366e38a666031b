/** Loads what `tbn pack|eval|inspect` are given: a .tbn file, a training checkpoint, or a FloatModel JSON. */
import { TbnError } from '../errors.ts';
import type { FloatModel } from '../model/float-model.ts';
import { parseCheckpoint } from '../train/checkpoint.ts';
import { exportFloatModel } from '../train/export.ts';
import type { PackedModel } from './model.ts';
import { FormatError, readModel, readModelFile } from './reader.ts';
import { TBN } from './spec.ts';

export function readBytes(file: string): Uint8Array {
  return readModelFile(file);
}

export function isTbnFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === TBN.TBN_MAGIC;
}

/** Reads and validates a .tbn file; the message names the file. */
export function loadPackedFile(file: string, bytes = readBytes(file)): PackedModel {
  try {
    return readModel(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.status, `${file}: ${e.message}`, e.layer);
    throw e;
  }
}

/** A checkpoint (tbn train) or a FloatModel JSON -> FloatModel. */
export function loadFloatModel(file: string, bytes = readBytes(file)): FloatModel {
  const text = new TextDecoder().decode(bytes);
  if (!text.trimStart().startsWith('{')) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError('TBN_E_MAGIC', `${file}: neither a .tbn model (it starts with ${head || 'nothing'}, not "TBN1") nor a JSON checkpoint`);
  }
  let kind: unknown;
  try {
    kind = (JSON.parse(text) as { kind?: unknown }).kind;
  } catch {
    kind = undefined;
  }
  if (kind === 'tbn-float-model') return JSON.parse(text) as FloatModel;
  return exportFloatModel(parseCheckpoint(text, file), file);
}

export type ModelSource = { file: string; packed: PackedModel; bytes: Uint8Array; float?: FloatModel };
