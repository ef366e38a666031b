/**
 * Every kind of bad file gets its status and message from the C kernel
 * (native and wasm), and the kernel's verdict on thousands of CRC-fixed
 * byte mutations equals the TypeScript reader's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomModelContent, randomPackedModel, rng } from '../../host/format/random-model.ts';
import { TBN } from '../../host/format/spec.ts';
import { writeModel } from '../../host/format/writer.ts';
import { KernelError, STATUS_NAMES, WasmKernel } from '../../host/native/wasm-kernel.ts';
import { artifact, compareMutants, readerStatus, recrc, runNativeBatch, setU16, setU32 } from './harness.ts';

const MESSAGES: Record<string, RegExp> = {
  TBN_E_TRUNCATED: /truncated/,
  TBN_E_MAGIC: /not a \.tbn model/,
  TBN_E_VERSION: /version/,
  TBN_E_SIZE: /size mismatch/,
  TBN_E_CRC: /^model CRC32 mismatch$/,
  TBN_E_ALIGN: /aligned/,
  TBN_E_OFFSET: /outside the file/,
  TBN_E_LAYER: /bad layer record/,
  TBN_E_CHAIN: /previous layer/,
  TBN_E_LABELS: /label/,
  TBN_E_SCRATCH: /scratch/,
};

/** A valid model with at least two layers, a BIN hidden layer and several classes. */
function baseModel(): Uint8Array {
  for (let seed = 1; ; seed++) {
    const c = randomModelContent(seed);
    if (c.layers.length >= 3 && c.layers[0]?.outType === 'bin' && c.classes.length >= 2) return writeModel(c);
  }
}

const base = baseModel();
const layerRecord = (i: number) => TBN.TBN_HEADER_BYTES + i * TBN.TBN_LAYER_RECORD_BYTES;

const BAD: { name: string; status: string; layer?: number; make: () => Uint8Array }[] = [
  { name: 'shorter than the header', status: 'TBN_E_TRUNCATED', make: () => base.slice(0, 40) },
  { name: 'shorter than file_bytes', status: 'TBN_E_TRUNCATED', make: () => base.slice(0, base.length - 4) },
  { name: 'bad magic', status: 'TBN_E_MAGIC', make: () => { const b = base.slice(); b[0] = 0x58; return b; } },
  { name: 'version 2', status: 'TBN_E_VERSION', make: () => { const b = base.slice(); setU16(b, TBN.TBN_HDR_VERSION_U16, 2); return b; } },
  { name: 'reserved header byte set', status: 'TBN_E_VERSION', make: () => { const b = base.slice(); b[60] = 1; return recrc(b); } },
  { name: 'longer than file_bytes', status: 'TBN_E_SIZE', make: () => { const b = new Uint8Array(base.length + 4); b.set(base); return b; } },
  { name: 'header_bytes wrong', status: 'TBN_E_SIZE', make: () => { const b = base.slice(); setU16(b, TBN.TBN_HDR_HEADER_BYTES_U16, 32); return b; } },
  { name: 'payload byte flipped', status: 'TBN_E_CRC', make: () => { const b = base.slice(); b[b.length - 1] ^= 0x10; return b; } },
  { name: 'CRC field wrong', status: 'TBN_E_CRC', make: () => { const b = base.slice(); b[TBN.TBN_HDR_CRC32_U32] ^= 1; return b; } },
  { name: 'misaligned quantisation offset', status: 'TBN_E_ALIGN', make: () => { const b = base.slice(); setU32(b, TBN.TBN_HDR_QUANT_OFFSET_U32, readModelQuant(b) + 2); return recrc(b); } },
  { name: 'misaligned tile offset', status: 'TBN_E_ALIGN', layer: 0, make: () => { const b = base.slice(); setU32(b, layerRecord(0) + TBN.TBN_LYR_TILE_OFFSET_U32, tileOffset(b, 0) + 1); return recrc(b); } },
  { name: 'tile past the end', status: 'TBN_E_OFFSET', layer: 0, make: () => { const b = base.slice(); setU32(b, layerRecord(0) + TBN.TBN_LYR_TILE_OFFSET_U32, b.length); return recrc(b); } },
  { name: 'section over the layer records', status: 'TBN_E_OFFSET', layer: 1, make: () => { const b = base.slice(); setU32(b, layerRecord(1) + TBN.TBN_LYR_THRESH_OFFSET_U32, 64); return recrc(b); } },
  { name: 'huge offset (wraps in 32 bits)', status: 'TBN_E_OFFSET', layer: 0, make: () => { const b = base.slice(); setU32(b, layerRecord(0) + TBN.TBN_LYR_AUX_OFFSET_U32, 0xfffffffc); return recrc(b); } },
  { name: 'unknown layer kind', status: 'TBN_E_LAYER', layer: 0, make: () => { const b = base.slice(); b[layerRecord(0) + TBN.TBN_LYR_KIND_U8] = 9; return recrc(b); } },
  { name: 'p = 0 on a weight layer', status: 'TBN_E_LAYER', layer: 0, make: () => { const b = base.slice(); setU16(b, layerRecord(0) + TBN.TBN_LYR_P_U16, 0); return recrc(b); } },
  { name: 'wrong output height', status: 'TBN_E_LAYER', layer: 0, make: () => { const b = base.slice(); setU16(b, layerRecord(0) + TBN.TBN_LYR_OUT_H_U16, 999); return recrc(b); } },
  // A zero dimension is a layer error before its sections are looked at (FORMAT.md order).
  { name: 'out_c = 0, ROWS, tile_words = 0 and misaligned thresholds', status: 'TBN_E_LAYER', layer: 0, make: () => { const b = base.slice(); const r = layerRecord(0); setU16(b, r + TBN.TBN_LYR_OUT_C_U16, 0); b[r + TBN.TBN_LYR_FLAGS_U8] |= TBN.TBN_LF_ROWS; setU32(b, r + TBN.TBN_LYR_TILE_WORDS_U32, 0); setU32(b, r + TBN.TBN_LYR_THRESH_OFFSET_U32, readU32(b, r + TBN.TBN_LYR_THRESH_OFFSET_U32) + 2); return recrc(b); } },
  { name: 'unknown flag', status: 'TBN_E_LAYER', layer: 1, make: () => { const b = base.slice(); b[layerRecord(1) + TBN.TBN_LYR_FLAGS_U8] |= 0x80; return recrc(b); } },
  { name: 'layer input disagrees with previous output', status: 'TBN_E_CHAIN', layer: 1, make: () => { const b = base.slice(); setU16(b, layerRecord(1) + TBN.TBN_LYR_IN_C_U16, readU16(b, layerRecord(1) + TBN.TBN_LYR_IN_C_U16) + 1); return recrc(b); } },
  { name: 'first layer input type not i8', status: 'TBN_E_CHAIN', layer: 0, make: () => { const b = base.slice(); b[layerRecord(0) + TBN.TBN_LYR_IN_TYPE_U8] = TBN.TBN_TYPE_I32; return recrc(b); } },
  { name: 'label not terminated', status: 'TBN_E_LABELS', make: () => { const b = base.slice(); const lo = readU32(b, TBN.TBN_HDR_LABELS_OFFSET_U32); const n = readU32(b, TBN.TBN_HDR_LABELS_BYTES_U32); b[lo + n - 1] = 0x41; return recrc(b); } },
  { name: 'label not UTF-8', status: 'TBN_E_LABELS', make: () => { const b = base.slice(); b[readU32(b, TBN.TBN_HDR_LABELS_OFFSET_U32)] = 0xff; return recrc(b); } },
  { name: 'scratch_bytes wrong', status: 'TBN_E_SCRATCH', make: () => { const b = base.slice(); setU32(b, TBN.TBN_HDR_SCRATCH_BYTES_U32, readU32(b, TBN.TBN_HDR_SCRATCH_BYTES_U32) + 4); return recrc(b); } },
];

function readU32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(off, true);
}
function readU16(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset).getUint16(off, true);
}
function readModelQuant(b: Uint8Array): number {
  return readU32(b, TBN.TBN_HDR_QUANT_OFFSET_U32);
}
function tileOffset(b: Uint8Array, layer: number): number {
  return readU32(b, layerRecord(layer) + TBN.TBN_LYR_TILE_OFFSET_U32);
}

/** The TS reader's verdict as a status name. */
describe('bad files: status and message from the C kernel', () => {
  const files = BAD.map((c) => ({ ...c, bytes: c.make() }));

  it('the base model is valid', () => {
    expect(readerStatus(base)).toBe('TBN_OK');
    expect(runNativeBatch([{ model: base, inputs: [] }])[0]?.status).toBe(0);
  });

  it('native (ASan+UBSan) returns the expected status and layer', () => {
    const results = runNativeBatch(files.map((f) => ({ model: f.bytes, inputs: [] })));
    files.forEach((f, k) => {
      const r = results[k];
      expect(STATUS_NAMES[r?.status ?? 0], f.name).toBe(f.status);
      if (f.layer !== undefined) expect(r?.badLayer, f.name).toBe(f.layer);
    });
  });

  it('wasm throws KernelError with the status string and layer', () => {
    const kernel = WasmKernel.load();
    for (const f of files) {
      let err: unknown;
      try {
        kernel.open(f.bytes).close();
      } catch (e) {
        err = e;
      }
      expect(err, f.name).toBeInstanceOf(KernelError);
      const ke = err as KernelError;
      expect(ke.statusName, f.name).toBe(f.status);
      expect(ke.message, f.name).toMatch(MESSAGES[f.status] as RegExp);
      expect(ke.message, f.name).toBe(kernel.statusString(ke.status));
      if (f.layer !== undefined) expect(ke.badLayer, f.name).toBe(f.layer);
    }
    expect(kernel.heapBytesInUse).toBe(0);
  });

  it('the TypeScript reader agrees on every crafted file', () => {
    for (const f of files) expect(readerStatus(f.bytes), f.name).toBe(f.status);
  });

  it('native CLI prints the message for a bad file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tbn-bad-'));
    try {
      const file = join(dir, 'crc.tbn');
      writeFileSync(file, files.find((f) => f.status === 'TBN_E_CRC')?.bytes as Uint8Array);
      let out = '';
      try {
        execFileSync(artifact('tbn_cli_asan'), ['open', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        out = (e as { stdout: string }).stdout;
        expect((e as { status: number }).status).toBe(2);
      }
      expect(out.trim()).toBe('6 -1 model CRC32 mismatch');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('C API edge cases (NULLs, misaligned model and scratch, short buffers)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tbn-self-'));
    try {
      const file = join(dir, 'm.tbn');
      writeFileSync(file, base);
      const out = execFileSync(artifact('tbn_selftest'), [file], { encoding: 'utf8' });
      expect(out).toMatch(/^ok \d+ checks/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('3000 CRC-fixed one- and two-byte mutations: kernel status = reader status; those that open run like the reference', () => {
    const r = rng(4242);
    const mutants: Uint8Array[] = [];
    const models = Array.from({ length: 30 }, (_, k) => randomPackedModel(1000 + k));
    for (let k = 0; k < 3000; k++) {
      const m = (models[k % models.length] as Uint8Array).slice();
      // One or two bytes (two exercise the order of the checks); biased towards the header and layer records.
      const changes = r() < 0.6 ? 1 : 2;
      for (let j = 0; j < changes; j++) {
        const at = 16 + Math.floor(r() * (m.length - 16));
        const pos = r() < 0.7 ? 16 + Math.floor(r() * Math.min(m.length - 16, 48 + 64 * 4)) : at;
        m[pos] = r() < 0.5 ? Math.floor(r() * 256) : (m[pos] as number) ^ (1 << Math.floor(r() * 8));
      }
      mutants.push(recrc(m));
    }
    // Mutants that still open (thresholds, tile bits, quantisation values...) must also run like the reference.
    const { expected, mismatches } = compareMutants(mutants);
    expect(mismatches).toEqual([]);
    // Some mutants must be valid models and some must fail in each structural class.
    const seen = new Set(expected);
    for (const s of ['TBN_OK', 'TBN_E_LAYER', 'TBN_E_CHAIN', 'TBN_E_OFFSET']) expect(seen, s).toContain(s);
  });
});
