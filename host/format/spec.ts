/**
 * The numbers of the packed format, read at module load from the single
 * definition, native-modules/tbn_format.h, so TypeScript never restates one.
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.ts';

/** Every `#define TBN_...` the TypeScript side relies on. */
const NAMES = [
  'TBN_MAGIC', 'TBN_FORMAT_VERSION', 'TBN_HEADER_BYTES', 'TBN_LAYER_RECORD_BYTES', 'TBN_CRC_START', 'TBN_ALIGN',
  'TBN_MAX_LAYERS', 'TBN_MAX_CLASSES', 'TBN_MAX_LABEL_BYTES',
  'TBN_HDR_MAGIC_U32', 'TBN_HDR_VERSION_U16', 'TBN_HDR_HEADER_BYTES_U16', 'TBN_HDR_FILE_BYTES_U32', 'TBN_HDR_CRC32_U32',
  'TBN_HDR_LAYER_COUNT_U16', 'TBN_HDR_CLASS_COUNT_U16', 'TBN_HDR_IN_H_U16', 'TBN_HDR_IN_W_U16', 'TBN_HDR_IN_C_U16',
  'TBN_HDR_FLAGS_U16', 'TBN_HDR_SCRATCH_BYTES_U32', 'TBN_HDR_QUANT_OFFSET_U32', 'TBN_HDR_LABELS_OFFSET_U32',
  'TBN_HDR_LABELS_BYTES_U32', 'TBN_HDR_LAYERS_OFFSET_U32', 'TBN_HDR_QUANT_COUNT_U16',
  'TBN_HDR_CHANNELS_OFFSET_U32', 'TBN_HDR_CHANNELS_BYTES_U32', 'TBN_HDR_RATE_MHZ_U32',
  'TBN_HF_CHANNELS', 'TBN_HF_RATE', 'TBN_HF_ALL',
  'TBN_I16_MULT_MAX', 'TBN_I16_ADD_MAX', 'TBN_I16_SHIFT_MAX', 'TBN_I16_PARAMS_PER_CHANNEL',
  'TBN_LYR_KIND_U8', 'TBN_LYR_IN_TYPE_U8', 'TBN_LYR_OUT_TYPE_U8', 'TBN_LYR_FLAGS_U8', 'TBN_LYR_IN_H_U16',
  'TBN_LYR_IN_W_U16', 'TBN_LYR_IN_C_U16', 'TBN_LYR_OUT_H_U16', 'TBN_LYR_OUT_W_U16', 'TBN_LYR_OUT_C_U16',
  'TBN_LYR_K_H_U16', 'TBN_LYR_K_W_U16', 'TBN_LYR_STRIDE_H_U16', 'TBN_LYR_STRIDE_W_U16', 'TBN_LYR_P_U16',
  'TBN_LYR_SHIFT_U8', 'TBN_LYR_TILE_OFFSET_U32', 'TBN_LYR_TILE_WORDS_U32', 'TBN_LYR_THRESH_OFFSET_U32',
  'TBN_LYR_AUX_OFFSET_U32',
  'TBN_KIND_DENSE', 'TBN_KIND_CONV1D', 'TBN_KIND_CONV2D', 'TBN_KIND_MAXPOOL', 'TBN_KIND_GAP',
  'TBN_TYPE_BIN', 'TBN_TYPE_I8', 'TBN_TYPE_I32',
  'TBN_LF_REUSE', 'TBN_LF_ROWS', 'TBN_LF_T16', 'TBN_LF_ALL',
] as const;

export type SpecName = (typeof NAMES)[number];

export const FORMAT_HEADER_PATH = packagePath('native-modules', 'tbn_format.h');

/** Parses `#define TBN_NAME value` lines (decimal or hex, optional u suffix). */
export function parseFormatDefines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = /^[ \t]*#define[ \t]+(TBN_[A-Z0-9_]+)[ \t]+(0[xX][0-9a-fA-F]+|[0-9]+)[uU]?\b/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = m[1] as string;
    if (out.has(name)) throw new Error(`tbn_format.h: ${name} is defined twice`);
    out.set(name, Number(m[2]));
  }
  return out;
}

function loadSpec(): Readonly<Record<SpecName, number>> {
  const defines = parseFormatDefines(readFileSync(FORMAT_HEADER_PATH, 'utf8'));
  const spec = {} as Record<SpecName, number>;
  for (const name of NAMES) {
    const v = defines.get(name);
    if (v === undefined) throw new Error(`${FORMAT_HEADER_PATH}: #define ${name} is missing`);
    spec[name] = v;
  }
  return Object.freeze(spec);
}

/** The format constants, e.g. `TBN.TBN_MAGIC`. */
export const TBN = loadSpec();

export type TypeCode = number;
export type KindName = 'dense' | 'conv1d' | 'conv2d' | 'maxpool' | 'gap';
export type TypeName = 'bin' | 'i8' | 'i32';

export const KIND_CODES: Readonly<Record<KindName, number>> = Object.freeze({
  dense: TBN.TBN_KIND_DENSE,
  conv1d: TBN.TBN_KIND_CONV1D,
  conv2d: TBN.TBN_KIND_CONV2D,
  maxpool: TBN.TBN_KIND_MAXPOOL,
  gap: TBN.TBN_KIND_GAP,
});

export const TYPE_CODES: Readonly<Record<TypeName, number>> = Object.freeze({
  bin: TBN.TBN_TYPE_BIN,
  i8: TBN.TBN_TYPE_I8,
  i32: TBN.TBN_TYPE_I32,
});

export function kindName(code: number): KindName | undefined {
  return (Object.keys(KIND_CODES) as KindName[]).find((k) => KIND_CODES[k] === code);
}

export function typeName(code: number): TypeName | undefined {
  return (Object.keys(TYPE_CODES) as TypeName[]).find((k) => TYPE_CODES[k] === code);
}

/** Status names of native-modules/tbn.h that a format reader can report. */
export type FormatStatus =
  | 'TBN_E_ARG'
  | 'TBN_E_TRUNCATED'
  | 'TBN_E_MAGIC'
  | 'TBN_E_VERSION'
  | 'TBN_E_SIZE'
  | 'TBN_E_CRC'
  | 'TBN_E_ALIGN'
  | 'TBN_E_OFFSET'
  | 'TBN_E_LAYER'
  | 'TBN_E_CHAIN'
  | 'TBN_E_SCRATCH'
  | 'TBN_E_LABELS';
