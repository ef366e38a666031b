/** Loads a float model from a file: a training checkpoint (tbn train) or a FloatModel JSON. */
import type { FloatModel } from '../model/float-model.ts';
import { FormatError, readModelFile } from '../format/reader.ts';
import { parseCheckpoint } from './checkpoint.ts';
import { exportFloatModel } from './export.ts';

/** A checkpoint (tbn train) or a FloatModel JSON -> FloatModel. */
export function loadFloatModel(file: string, bytes = readModelFile(file)): FloatModel {
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
