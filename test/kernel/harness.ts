/**
 * Drives the native harness (build/native/tbn_cli_asan, built by
 * native-modules/build.sh) in batch mode: many models and inputs per process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from '../../host/format/crc32.ts';
import { randomInput } from '../../host/format/random-model.ts';
import { FormatError, readModel } from '../../host/format/reader.ts';
import type { PackedModel } from '../../host/format/model.ts';
import { TBN } from '../../host/format/spec.ts';
import { STATUS_NAMES, WasmKernel } from '../../host/native/wasm-kernel.ts';
import { runReference } from '../../host/reference/infer.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const nativeDir = join(repoRoot, 'build/native');

/** Path of a build artifact; throws a clear error if the build has not run. */
export function artifact(name: string): string {
  const path = join(nativeDir, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`bash native-modules/build.sh\` first`);
  return path;
}

export interface BatchCase {
  model: Uint8Array;
  /** All inputs of one case share a type. */
  inputs: (Float32Array | Int8Array | Int16Array)[];
  /** Int16Array inputs: the (mult, add, shift) triples (tbn_input_i16), passed as given. */
  params?: Int32Array;
  /** A failing run is reported as an output with its status instead of thrown. */
  allowErrors?: boolean;
}

export interface BatchResult {
  status: number;
  badLayer: number;
  /** `status` is set (non-zero) on a failed run of a case with allowErrors; the case's later inputs do not run. */
  outputs: { cls: number; logits: number[]; status?: number }[];
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export function encodeBatch(cases: BatchCase[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    parts.push(b);
  };
  for (const c of cases) {
    u32(c.model.length);
    const m = new Uint8Array(pad4(c.model.length));
    m.set(c.model);
    parts.push(m);
    const first = c.inputs[0];
    const type = first instanceof Int8Array ? 1 : first instanceof Int16Array ? 2 : 0;
    u32(type);
    u32(c.inputs.length);
    if (type === 2) {
      const params = c.params ?? new Int32Array(0);
      u32(params.length);
      parts.push(new Uint8Array(params.buffer.slice(params.byteOffset, params.byteOffset + params.byteLength)));
    }
    const bytes = c.inputs.reduce((a, x) => a + x.byteLength, 0);
    const block = new Uint8Array(pad4(bytes));
    let at = 0;
    for (const x of c.inputs) {
      block.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), at);
      at += x.byteLength;
    }
    parts.push(block);
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs all cases in one native process. */
export function runNativeBatch(cases: BatchCase[], opts: { reuse?: boolean; binary?: string } = {}): BatchResult[] {
  const cli = artifact(opts.binary ?? 'tbn_cli_asan');
  const dir = mkdtempSync(join(tmpdir(), 'tbn-kernel-'));
  try {
    const file = join(dir, 'batch.bin');
    writeFileSync(file, encodeBatch(cases));
    const args = ['batch', file];
    if (opts.reuse === false) args.push('--no-reuse');
    const text = execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
    const results: BatchResult[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const f = line.split(' ');
      if (f[0] === 'M') results.push({ status: Number(f[1]), badLayer: Number(f[2]), outputs: [] });
      else if (f[0] === 'E') {
        if (!cases[results.length - 1]?.allowErrors) throw new Error(`native run failed with status ${f[1]} (case ${results.length - 1})`);
        results[results.length - 1]?.outputs.push({ cls: -1, logits: [], status: Number(f[1]) });
      }
      else {
        const nums = f.map(Number);
        results[results.length - 1]?.outputs.push({ cls: nums[0] as number, logits: nums.slice(1) });
      }
    }
    if (results.length !== cases.length) throw new Error(`native batch returned ${results.length} of ${cases.length} results`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Little-endian u32 write, then a fresh CRC (for crafting structurally bad but CRC-valid files). */
export function setU32(bytes: Uint8Array, off: number, v: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(off, v >>> 0, true);
}
export function setU16(bytes: Uint8Array, off: number, v: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint16(off, v, true);
}

/** Class and logits of each input on the wasm kernel (the model opened once, closed after). */
export function runWasm(model: Uint8Array, inputs: (Float32Array | Int8Array)[], opts: { reuse?: boolean } = {}): { cls: number; logits: number[] }[] {
  const m = WasmKernel.load().open(model);
  try {
    return inputs.map((x) => {
      const logits = new Int32Array(m.info.classes);
      const cls = m.run(x, logits, opts);
      return { cls, logits: Array.from(logits) };
    });
  } finally {
    m.close();
  }
}

/** The reference's class and logits for each input (what every kernel build must reproduce bit for bit). */
export function referenceResults(model: PackedModel, inputs: (Float32Array | Int8Array)[]): { cls: number; logits: number[] }[] {
  return inputs.map((x) => {
    const r = runReference(model, x);
    return { cls: r.cls, logits: Array.from(r.logits) };
  });
}

/** Fixes a (mutated) model's header CRC so the checks behind the CRC are reached. */
export function recrc(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(TBN.TBN_HDR_CRC32_U32, crc32(b, TBN.TBN_CRC_START, b.length) >>> 0, true);
  return b;
}

/** The TypeScript reader's status for a file: TBN_OK or the FormatError's status. */
export function readerStatus(b: Uint8Array): string {
  try {
    readModel(b);
    return 'TBN_OK';
  } catch (e) {
    if (e instanceof FormatError) return e.status;
    throw e;
  }
}

/**
 * Opens every mutant in the sanitized native kernel and with the TypeScript reader: the statuses
 * must agree, and a mutant that still opens must predict like the reference on one random input.
 * Returns the reader's statuses and one line per disagreement.
 */
export function compareMutants(mutants: Uint8Array[]): { expected: string[]; mismatches: string[] } {
  const expected = mutants.map(readerStatus);
  const inputs = mutants.map((m, k) => (expected[k] === 'TBN_OK' ? [randomInput(k, readModel(m), 'f32')] : []));
  const results = runNativeBatch(mutants.map((m, k) => ({ model: m, inputs: inputs[k] as Float32Array[] })));
  const mismatches: string[] = [];
  results.forEach((res, k) => {
    const got = STATUS_NAMES[res.status] ?? String(res.status);
    if (got !== expected[k]) mismatches.push(`mutant ${k}: kernel ${got}, reader ${expected[k]}`);
    const x = inputs[k]?.[0];
    if (x) {
      const [ref] = referenceResults(readModel(mutants[k] as Uint8Array), [x]);
      const out = res.outputs[0];
      if (!out || out.cls !== ref!.cls || out.logits.join() !== ref!.logits.join()) {
        mismatches.push(`mutant ${k}: logits differ from the reference`);
      }
    }
  });
  return { expected, mismatches };
}

/**
 * int16 input parameter vectors every target must refuse with TBN_E_PARAMS, made from a valid one (`good`, one
 * mult/add/shift triple per channel): each bound crossed by one, in the first or last triple, and wrong counts.
 */
export function badInt16Params(good: Int32Array): Array<[string, Int32Array]> {
  const last = good.length - 3;
  const addMax = TBN.TBN_I16_ADD_MAX;
  const out: Array<[string, Int32Array]> = [];
  for (const [what, at, v] of [
    ['mult 32768', 0, 32768], ['mult -32769', last, -32769],
    ['add 2^30', 1, addMax + 1], ['add -2^30', last + 1, -addMax - 1],
    ['shift 32', last + 2, 32], ['shift -1', 2, -1],
  ] as const) {
    const p = good.slice();
    p[at] = v;
    out.push([what, p]);
  }
  out.push(['one value short', good.slice(0, -1)], ['one triple too many', Int32Array.from([...good, 1, 0, 0])]);
  return out;
}
