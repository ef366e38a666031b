/**
 * `tbn/format`: the .tbn model file format — its constants (parsed from native-modules/tbn_format.h, the one
 * source shared with the C kernel), the writer, the validating reader, the packer and the per-layer summary.
 *
 * ```ts
 * import { readModel, summarizeModel, formatSummary } from 'tbn/format';
 * const model = readModel(new Uint8Array(readFileSync('har.tbn')));
 * console.log(formatSummary(summarizeModel(model), 'har.tbn'));
 * ```
 * @module tbn/format
 */
export { FORMAT_HEADER_PATH, type FormatStatus, KIND_CODES, type KindName, kindName, parseFormatDefines, TBN, TYPE_CODES, type TypeName, typeName } from '../format/spec.ts';
export type { InputChannel, LayerContent, ModelContent, PackedLayer, PackedModel, Shape } from '../format/model.ts';
export { FormatError, readModel } from '../format/reader.ts';
export { writeModel } from '../format/writer.ts';
export { foldModel, packModel, type PackOptions } from '../format/pack.ts';
export { formatSummary, type LayerSummary, type ModelSummary, summarizeModel } from '../format/summary.ts';
export { crc32 } from '../format/crc32.ts';
export { layerMacs, scratchBytes, type ScratchLayer, tensorBytes, type WeightGeometry, weightGeometry, wordsPerPosition } from '../format/layout.ts';
export { isTbnFile, loadPackedFile } from '../format/source.ts';
export type { Activation, FloatLayer, FloatModel, GapLayer, PoolLayer, WeightLayer } from '../model/float-model.ts';
