import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layerMacs } from '../../host/format/layout.ts';
import { randomInput, randomPackedModel } from '../../host/format/random-model.ts';
import { FormatError, readModel } from '../../host/format/reader.ts';
import { TBN } from '../../host/format/spec.ts';
import { TbnError } from '../../host/errors.ts';
import { runReference } from '../../host/reference/infer.ts';
import { recrc } from '../kernel/harness.ts';

/** A model with at least two layers, so a chain check can be reached. */
function twoLayerModel(): Uint8Array {
  for (let seed = 1; ; seed++) {
    const b = randomPackedModel(seed);
    if (readModel(b).layers.length >= 2) return b;
  }
}

function expectStatus(b: Uint8Array, status: string, message?: RegExp): FormatError {
  try {
    readModel(b);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    expect(e).toBeInstanceOf(TbnError);
    const fe = e as FormatError;
    expect(fe.status).toBe(status);
    if (message) expect(fe.message).toMatch(message);
    return fe;
  }
  throw new Error(`readModel accepted a file that should fail with ${status}`);
}

describe('readModel rejects bad files with the C status category', () => {
  const good = twoLayerModel();
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

  it('accepts the valid file', () => {
    const m = readModel(good);
    expect(m.fileBytes).toBe(good.length);
  });

  it('truncated files', () => {
    for (const n of [0, 1, 63]) expectStatus(good.slice(0, n), 'TBN_E_TRUNCATED', /shorter than the 64-byte header/);
    for (const n of [64, 100, good.length - 1]) expectStatus(good.slice(0, n), 'TBN_E_TRUNCATED', new RegExp(`header says ${good.length} bytes`));
  });

  it('a file larger than its header claims', () => {
    const b = new Uint8Array(good.length + 4);
    b.set(good);
    expectStatus(b, 'TBN_E_SIZE', /header says the file is/);
  });

  it('bad magic', () => {
    const b = good.slice();
    b[0] = 0x50;
    expectStatus(b, 'TBN_E_MAGIC', /not a \.tbn file/);
  });

  it('unknown version', () => {
    const b = good.slice();
    dv(b).setUint16(TBN.TBN_HDR_VERSION_U16, 2, true);
    expectStatus(b, 'TBN_E_VERSION', /unknown format version 2/);
  });

  it('CRC mismatch', () => {
    const b = good.slice();
    b[b.length - 1] = (b[b.length - 1] as number) ^ 0x40;
    expectStatus(b, 'TBN_E_CRC', /CRC32 mismatch/);
  });

  it('a layer whose input disagrees with its neighbour (valid CRC)', () => {
    const b = good.slice();
    const rec = TBN.TBN_HEADER_BYTES + TBN.TBN_LAYER_RECORD_BYTES;
    const inC = dv(b).getUint16(rec + TBN.TBN_LYR_IN_C_U16, true);
    dv(b).setUint16(rec + TBN.TBN_LYR_IN_C_U16, inC + 1, true);
    const e = expectStatus(recrc(b), 'TBN_E_CHAIN', /layer 1 \(\w+\): input .* disagrees with layer 0's output/);
    expect(e.layer).toBe(1);
  });

  it('a layer whose output size disagrees with its window (valid CRC)', () => {
    const b = good.slice();
    const rec = TBN.TBN_HEADER_BYTES;
    const outW = dv(b).getUint16(rec + TBN.TBN_LYR_OUT_W_U16, true);
    dv(b).setUint16(rec + TBN.TBN_LYR_OUT_W_U16, outW + 1, true);
    const e = expectStatus(recrc(b), 'TBN_E_LAYER', /layer 0/);
    expect(e.layer).toBe(0);
  });

  it('a class count that disagrees with the label table', () => {
    const b = good.slice();
    dv(b).setUint16(TBN.TBN_HDR_CLASS_COUNT_U16, dv(b).getUint16(TBN.TBN_HDR_CLASS_COUNT_U16, true) + 1, true);
    expectStatus(recrc(b), 'TBN_E_LABELS');
  });

  it('scratch mismatch, misaligned and out-of-file sections, reserved bytes, bad kinds', () => {
    let b = good.slice();
    dv(b).setUint32(TBN.TBN_HDR_SCRATCH_BYTES_U32, dv(b).getUint32(TBN.TBN_HDR_SCRATCH_BYTES_U32, true) + 4, true);
    expectStatus(recrc(b), 'TBN_E_SCRATCH', /scratch_bytes is/);
    const m = readModel(good);
    const w = m.layers.findIndex((l) => l.p > 0);
    const rec = TBN.TBN_HEADER_BYTES + w * TBN.TBN_LAYER_RECORD_BYTES;
    b = good.slice();
    dv(b).setUint32(rec + TBN.TBN_LYR_TILE_OFFSET_U32, (m.layers[w]?.tileOffset as number) + 2, true);
    expectStatus(recrc(b), 'TBN_E_ALIGN', /tile offset/);
    b = good.slice();
    dv(b).setUint32(rec + TBN.TBN_LYR_AUX_OFFSET_U32, good.length, true);
    expectStatus(recrc(b), 'TBN_E_OFFSET', new RegExp(`layer ${w} .* outside the data area`));
    b = good.slice();
    b[50] = 1;
    expectStatus(recrc(b), 'TBN_E_VERSION', /reserved header byte 50/);
    b = good.slice();
    b[rec + TBN.TBN_LYR_KIND_U8] = 9;
    expectStatus(recrc(b), 'TBN_E_LAYER', new RegExp(`layer ${w}: unknown kind 9`));
    b = good.slice();
    b[rec + TBN.TBN_LYR_FLAGS_U8] = (b[rec + TBN.TBN_LYR_FLAGS_U8] as number) ^ TBN.TBN_LF_ROWS;
    expectStatus(recrc(b), 'TBN_E_LAYER', /ROWS flag/);
  });

  it('a label table that is not NUL-terminated', () => {
    const b = good.slice();
    const off = dv(b).getUint32(TBN.TBN_HDR_LABELS_OFFSET_U32, true);
    const size = dv(b).getUint32(TBN.TBN_HDR_LABELS_BYTES_U32, true);
    b[off + size - 1] = 0x41;
    expectStatus(recrc(b), 'TBN_E_LABELS', /label/);
  });

  it('rejects set padding bits of a tile (they would count as mismatches)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const g = randomPackedModel(seed);
      const m = readModel(g);
      const l = m.layers.find((x) => x.rows && x.inShape[2] % 32 !== 0);
      if (!l) continue;
      const b = g.slice();
      const cw = Math.ceil(l.inShape[2] / 32);
      const word = l.tileOffset + 4 * (cw - 1);
      dv(b).setUint32(word, (dv(b).getUint32(word, true) | 0x80000000) >>> 0, true);
      expectStatus(recrc(b), 'TBN_E_LAYER', /padding bits/);
      return;
    }
    throw new Error('no model with a padded ROWS tile found');
  });
});

describe('readModel on mutated and truncated files', () => {
  it('never throws anything but FormatError, and accepted mutants run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.option(fc.nat()),
        (seed, edits, withCrc, cut) => {
          const good = randomPackedModel(seed);
          let b = good.slice();
          for (const [pos, v] of edits) b[pos % b.length] = v;
          if (withCrc) recrc(b);
          if (cut !== null) b = b.slice(0, cut % (b.length + 1));
          let model;
          try {
            model = readModel(b);
          } catch (e) {
            if (!(e instanceof FormatError)) throw e;
            expect(e.message.length).toBeGreaterThan(10);
            return;
          }
          const macs = model.layers.reduce((a, l) => a + layerMacs(l).macs, 0);
          if (macs < 1e6) {
            const r = runReference(model, randomInput(seed, model, 'f32'));
            expect(r.logits.length).toBe(model.classes.length);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
