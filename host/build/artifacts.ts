/**
 * `tbn build`: checks an app bundle + model against a board's budgets and
 * writes what gets flashed:
 *   app.js          the device bundle (Espruino: uploaded and saved as boot code)
 *   model.tbn       the packed model (Espruino: written into Storage)
 *   manifest.json   board, engine, sizes, CRCs and the fit table (read by `tbn flash`)
 * and for JerryScript, whose firmware links the app and the model in:
 *   app.snapshot.js the bundle prepared for `jerry-snapshot generate`
 *   tbn_blobs.c     C arrays of the model (Storage file "model.tbn"), the app
 *                   source and, when a snapshot is given, the snapshot
 *                   (declarations in native-modules/jerryscript/tbn_blobs.h).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BoardDefinition, FitResult } from '../boards.ts';
import { TbnError } from '../errors.ts';
import { fileErrorMessage, writeFileAtomic } from '../io/files.ts';
import { crc32 } from '../format/crc32.ts';
import type { PackedModel } from '../format/model.ts';
import { estimateLimits } from '../sim/simulator.ts';

export type Engine = 'espruino' | 'jerryscript';
export const ENGINES: readonly Engine[] = ['espruino', 'jerryscript'];

/** Storage names the device app reads (device/app.ts MODEL_FILE). */
export const MODEL_STORAGE_NAME = 'model.tbn';
/** The device config (device/app.ts CONFIG_FILE, docs/sensors.md), written when the build has one. */
export const CONFIG_STORAGE_NAME = 'tbn.cfg';

export interface BuildInput {
  board: BoardDefinition;
  engine: Engine;
  model: PackedModel;
  modelBytes: Uint8Array;
  modelFile: string;
  bundle: string;
  bundleFile: string;
  /** A jerry-snapshot output to link into the firmware (JerryScript only). */
  snapshot?: Uint8Array;
  /** The device config (tbn.cfg, JSON), e.g. `{ sensor: ... }` of `tbn build --sensor`; none: the app's defaults. */
  config?: Record<string, unknown>;
  outDir: string;
  /** Write into a non-empty folder that holds no tbn build (files with our names are replaced). */
  force?: boolean;
}

export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface BuildManifest {
  tool: 'tbn build';
  board: string;
  engine: Engine;
  model: {
    source: string;
    bytes: number;
    crc32: number;
    classes: string[];
    inShape: number[];
    scratchBytes: number;
    /** RAM a model handle holds: the kernel scratch plus a class_count int32 logits area. */
    handleRamBytes: number;
    storageName: string;
  };
  app: { source: string; bytes: number };
  /** The device config file and what it holds (absent: none is written and the app uses its defaults). */
  config?: { storageName: string; path: string; content: Record<string, unknown> };
  fit: FitResult;
  files: ManifestFile[];
}

/** RAM the engine bindings allocate per handle (see native-modules/{espruino,jerryscript}). */
export function handleRamBytes(model: PackedModel): number {
  return model.scratchBytes + 4 * model.classes.length;
}

/**
 * The fit check of `tbn build`: the simulator's own (estimateLimits: flash, Storage, scratch RAM and
 * JS variables), so a model `tbn build` accepts is one `tbn sim --board` runs, and the other way round.
 */
export function checkBuildFit(input: Pick<BuildInput, 'board' | 'model' | 'modelBytes' | 'bundle' | 'modelFile' | 'config'>): FitResult {
  const m = input.model;
  const [inH, inW, inC] = m.inShape;
  const info = { inH, inW, inC, inputLen: inH * inW * inC, classes: m.classes.length, scratchBytes: m.scratchBytes };
  // A tbn.cfg sensor makes the app create its sensor code at start: those variables count.
  return estimateLimits(input.board, Buffer.byteLength(input.bundle, 'latin1'), input.modelBytes.length, info, { sensor: input.config?.sensor !== undefined }).fit;
}

export function fitError(board: string, modelFile: string, fit: FitResult): TbnError {
  return new TbnError('E_FIT', `${modelFile} does not fit the ${board}: ${fit.problems.join('; ')}`);
}

/** C source of byte arrays, 4-byte aligned (the kernel needs aligned model bytes). */
export function cArray(name: string, bytes: Uint8Array, elementType = 'uint8_t'): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push(`  ${Array.from(bytes.subarray(i, i + 16), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')},`);
  }
  if (bytes.length === 0) lines.push('  0');
  return `const ${elementType} ${name}[] __attribute__((aligned(4))) = {\n${lines.join('\n')}\n};\nconst uint32_t ${name}_len = ${bytes.length}u;\n`;
}

/** The bundle as jerry-snapshot input: ES5, one script, nothing engine-specific added. */
export function snapshotSource(bundle: string, board: string): string {
  return `/* tbn app for JerryScript on ${board}: jerry-snapshot generate -o app.snapshot app.snapshot.js */\n${bundle}\n`;
}

export function blobsSource(input: BuildInput): string {
  const app = new Uint8Array(Buffer.from(input.bundle, 'latin1'));
  const snapshot = input.snapshot ?? new Uint8Array(0);
  const config = input.config ? new Uint8Array(Buffer.from(configText(input.config), 'latin1')) : undefined;
  return [
    `/* Generated by tbn build for ${input.board.name} (JerryScript): model ${path.basename(input.modelFile)}, crc32 0x${input.model.crc32.toString(16).padStart(8, '0')}. */`,
    '#include <stdint.h>',
    '#include "tbn_blobs.h"',
    '',
    cArray('tbn_model_blob', input.modelBytes),
    cArray('tbn_app_source', app),
    `/* app.snapshot (${snapshot.length} bytes; 0 = run the source) */`,
    cArray('tbn_app_snapshot', snapshot),
    ...(config ? [cArray('tbn_config_blob', config)] : []),
    `const tbn_blob tbn_storage_files[] = {{"${MODEL_STORAGE_NAME}", tbn_model_blob, ${input.modelBytes.length}u}${config ? `, {"${CONFIG_STORAGE_NAME}", tbn_config_blob, ${config.length}u}` : ''}};`,
    `const uint32_t tbn_storage_file_count = ${config ? 2 : 1}u;`,
    '',
  ].join('\n');
}

/** True when DIR/manifest.json is a manifest `tbn build` wrote. */
function holdsTbnBuild(dir: string): boolean {
  try {
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { tool?: unknown };
    return m.tool === 'tbn build';
  } catch {
    return false;
  }
}

/**
 * Creates the output folder, or checks an existing one is ours: an empty folder or one holding a tbn
 * build. A folder with other files (someone's app.js, manifest.json) is refused unless `force`.
 */
export function prepareOutDir(dir: string, force = false): void {
  if (existsSync(dir)) {
    let st;
    try {
      st = statSync(dir);
    } catch (e) {
      throw new TbnError('E_WRITE', `cannot use the output folder ${fileErrorMessage(dir, e)}`);
    }
    if (!st.isDirectory()) throw new TbnError('E_WRITE', `output folder ${dir}: exists and is not a folder; choose another -o`);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (e) {
      throw new TbnError('E_WRITE', `cannot use the output folder ${fileErrorMessage(dir, e)}`);
    }
    if (entries.length > 0 && !holdsTbnBuild(dir) && !force) {
      const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, ... (${entries.length - 5} more)` : '');
      throw new TbnError('E_WRITE', `output folder ${dir} is not empty and holds no tbn build (${shown}); tbn build would overwrite files there: choose an empty folder, or give --force`);
    }
    return;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new TbnError('E_WRITE', `cannot create the output folder ${fileErrorMessage(dir, e)}`);
  }
}

/** tbn.cfg as the device reads it (JSON; ASCII, Storage strings are 8-bit on Espruino). */
export function configText(config: Record<string, unknown>): string {
  return JSON.stringify(config).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Writes the artifacts; returns the manifest (also written as manifest.json). */
export function writeArtifacts(input: BuildInput, fit: FitResult): BuildManifest {
  if (input.snapshot && input.engine !== 'jerryscript') throw new TbnError('E_ARG', '--snapshot is for --engine jerryscript only');
  if (input.snapshot && (input.snapshot.length < 4 || Buffer.from(input.snapshot.subarray(0, 4)).toString('latin1') !== 'JRRY')) {
    throw new TbnError('E_INPUT', 'the --snapshot file is not a JerryScript snapshot (it does not start with "JRRY")');
  }
  prepareOutDir(input.outDir, input.force);
  const files: ManifestFile[] = [];
  const put = (name: string, data: string | Uint8Array) => {
    const file = path.join(input.outDir, name);
    // Temp file + fsync + rename: a failed write leaves the previous file whole (and no temp file).
    writeFileAtomic(file, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    files.push({ path: name, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') });
  };
  put('app.js', input.bundle);
  put('model.tbn', input.modelBytes);
  if (input.config) put(CONFIG_STORAGE_NAME, configText(input.config));
  if (input.engine === 'jerryscript') {
    put('app.snapshot.js', snapshotSource(input.bundle, input.board.name));
    put('tbn_blobs.c', blobsSource(input));
  }
  const manifest: BuildManifest = {
    tool: 'tbn build',
    board: input.board.name,
    engine: input.engine,
    model: {
      source: input.modelFile,
      bytes: input.modelBytes.length,
      crc32: crc32(input.modelBytes, 16, input.modelBytes.length),
      classes: input.model.classes,
      inShape: [...input.model.inShape],
      scratchBytes: input.model.scratchBytes,
      handleRamBytes: handleRamBytes(input.model),
      storageName: MODEL_STORAGE_NAME,
    },
    app: { source: input.bundleFile, bytes: Buffer.byteLength(input.bundle, 'latin1') },
    ...(input.config ? { config: { storageName: CONFIG_STORAGE_NAME, path: CONFIG_STORAGE_NAME, content: input.config } } : {}),
    fit,
    files,
  };
  writeFileAtomic(path.join(input.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
