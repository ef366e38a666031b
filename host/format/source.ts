/** Reads what `tbn pack|eval|inspect` are given; a checkpoint or FloatModel JSON is loaded by train/load-model.ts. */
import { TbnError } from '../errors.ts';
import type { FloatModel } from '../model/float-model.ts';
import type { PackedModel } from './model.ts';
import { FormatError, readModel, readModelFile } from './reader.ts';
import { TBN } from './spec.ts';

export function isTbnFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === TBN.TBN_MAGIC;
}

/** Reads and validates a .tbn file; the message names the file. */
export function loadPackedFile(file: string, bytes = readModelFile(file)): PackedModel {
  try {
    return readModel(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.status, `${file}: ${e.message}`, e.layer);
    throw e;
  }
}

export type ModelSource = { file: string; packed: PackedModel; bytes: Uint8Array; float?: FloatModel };
