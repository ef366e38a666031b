/**
 * `tbn`: everything the CLI does, as a library. Load data, train FP32/BNN/TBN models, pack them into .tbn files,
 * read them back and run the integer reference — without spawning the CLI.
 *
 * ```ts
 * import { exampleSize, loadSplits, pack, readModel, runReference, train } from 'tbn';
 * const splits = loadSplits({ data: 'synthetic', limit: 400 }, 1);
 * const [tbn] = train(splits, { variants: ['tbn'], epochs: 2 });
 * const model = readModel(pack(tbn.checkpoint));
 * const { cls } = runReference(model, splits.test.x.subarray(0, exampleSize(splits.test)));
 * ```
 *
 * More: `tbn/format` (the .tbn file format), `tbn/reference` (integer reference inference),
 * `tbn/protocol` (serial frames and a DeviceClient), `tbn/sim` (the device simulator).
 * @module tbn
 */
import type { Splits } from './data/select.ts';
import { packModel, type PackOptions } from './format/pack.ts';
import type { FloatModel } from './model/float-model.ts';
import { packageVersion } from './package-root.ts';
import { DEFAULT_MIN_TILE_SIZE } from './train/arch.ts';
import type { Checkpoint } from './train/checkpoint.ts';
import { exportFloatModel } from './train/export.ts';
import { type SessionOptions, trainVariants, type VariantResult } from './train/session.ts';

// Errors
export { InputError, TbnError, UsageError } from './errors.ts';
export { FormatError } from './format/reader.ts';

// Data
export { type Dataset, exampleSize } from './data/dataset.ts';
export type { Recording, WindowOptions, Windows } from './data/recording.ts';
export { DEFAULT_OVERLAP, DEFAULT_WINDOW_SECONDS, windowRecording } from './data/recording.ts';
export { type DatasetOptions, loadSplits, type Splits } from './data/select.ts';
export { DEFAULT_RATE, HAR_CHANNELS, HAR_CLASSES, loadRecording, loadSpSwHar, type RecordingOptions, type SpSwHarOptions } from './data/sp-sw-har.ts';
export { type CsvRecordingOptions, type GenericCsvOptions, loadCsvRecording, loadGenericCsv } from './data/generic-csv.ts';
export { FASHION_CLASSES, type FashionMnistOptions, loadFashionMnist } from './data/fashion-mnist.ts';
export { synthesizeHarDataset, synthesizeMotion, type SynthesizeMotionOptions, type SyntheticHarOptions } from './data/synthetic.ts';
export { splitValidation, subset } from './data/split.ts';
export { formatSubjects, parseSubjects } from './data/subjects.ts';

// Training
export type { AlphaMode, GapLayerSpec, HiddenActivation, LayerSpec, ModelSpec, PoolLayerSpec, Shape, Variant, WeightKind, WeightLayerSpec } from './train/arch.ts';
export { type Checkpoint, type EncodedTensor, loadCheckpoint, parseCheckpoint, saveCheckpoint, type SplitMetrics } from './train/checkpoint.ts';
export type { EpochRecord, TrainConfig, TrainProgress } from './train/trainer.ts';
export type { LayerSize, ModelSize } from './train/size.ts';
export { exportFloatModel } from './train/export.ts';
export { loadFloatModel } from './train/load-model.ts';
export { defaultGemm, type Gemm, jsGemm, loadWasmGemm } from './train/kernels.ts';
export { resumeTraining, type SelectionMetrics, type SessionOptions, type Splits as TrainingSplits, trainVariants, type VariantResult } from './train/session.ts';
export type { Activation, FloatLayer, FloatModel, GapLayer, PoolLayer, WeightLayer } from './model/float-model.ts';

// Packing and reading .tbn files
export { packModel, type PackOptions } from './format/pack.ts';
export { readModel } from './format/reader.ts';
export type { InputChannel, PackedLayer, PackedModel } from './format/model.ts';
export { formatSummary, type ModelSummary, summarizeModel } from './format/summary.ts';

// The integer reference (the same numbers the C kernel gives, bit for bit)
export { type ReferenceResult, runReference } from './reference/infer.ts';
export { evaluatePacked } from './reference/evaluate.ts';

// Boards
export { type BoardDefinition, checkFit, type FitRequest, type FitResult, type FitRow, listBoards, loadBoard, type QemuMachine } from './boards.ts';

// tbn stream, build, flash and demo
/** A stream that ended early (device gone, refused, Ctrl-C) carries the partial report; int16Clipping counts what --int16 clips. */
export { int16Clipping, StreamInterrupted } from './stream/session.ts';
export { prepareOutDir } from './build/artifacts.ts';
export { type VerifiedFile } from './flash/espruino.ts';
export { formatReport, harRecordings, loadAnyRecording, type RecordingScore, type StreamReport, type StreamRunOptions, streamRecordings } from './stream/session.ts';
export { type Link, openSerialLink } from './stream/link.ts';
export { type BuildInput, type BuildManifest, checkBuildFit, type Engine, ENGINES, type ManifestFile, writeArtifacts } from './build/artifacts.ts';
export { buildDeviceBundle, DEFAULT_BUNDLE } from './build/bundle.ts';
export { type EspruinoUploadOptions, type UploadEvent, uploadToEspruino } from './flash/espruino.ts';
export { type FlasherPlan, jerryFlasherPlan } from './flash/jerry.ts';
export { type DemoOptions, type DemoResult, formatDemo, runDemo, syntheticRecordings } from './demo/run-demo.ts';

/** What `tbn train` uses when an option is not given (one variant, TBN, here). */
export const TRAIN_DEFAULTS: Omit<SessionOptions, 'arch'> = {
  variants: ['tbn'],
  activation: 'sign',
  alpha: 'weight',
  p: 4,
  minTileSize: DEFAULT_MIN_TILE_SIZE,
  epochs: 20,
  batch: 32,
  lrs: [1e-3],
  weightDecay: 1e-4,
  seed: 1,
};

/**
 * Trains the variants in `options.variants` (default TBN alone) on the splits with `tbn train`'s defaults;
 * the architecture defaults to har-cnn for windows of 32 samples or more, else mlp:256,256.
 * Training runs on the WebAssembly GEMM shipped with the package (`checkpoint.train.engine` says which ran).
 */
export function train(splits: Splits, options: Partial<SessionOptions> = {}): VariantResult[] {
  const shape = splits.train.shape;
  const arch = options.arch ?? (shape[0] === 1 && shape[1] >= 32 ? 'har-cnn' : 'mlp:256,256');
  return trainVariants(splits, { ...TRAIN_DEFAULTS, ...options, arch });
}

/** Packs a training checkpoint (or a FloatModel) into the bytes of a .tbn file, as `tbn pack` does. */
export function pack(model: Checkpoint | FloatModel, options: PackOptions = {}): Uint8Array {
  const float = (model as FloatModel).kind === 'tbn-float-model' ? (model as FloatModel) : exportFloatModel(model as Checkpoint, 'checkpoint');
  return packModel(float, options);
}

/** The version of the installed tbn package. */
export function version(): string {
  return packageVersion();
}
