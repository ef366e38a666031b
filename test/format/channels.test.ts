/**
 * The optional input description of a .tbn file (header flags TBN_HF_CHANNELS and TBN_HF_RATE):
 * round trip, files written before it existed, and corrupt tables refused with the same status by
 * the TypeScript reader, the sanitized native kernel and the wasm kernel.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelContent } from '../../host/format/model.ts';
import { packModel } from '../../host/format/pack.ts';
import { randomInput, randomModelContent, rng } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { loadFloatModel } from '../../host/train/load-model.ts';
import { writeModel } from '../../host/format/writer.ts';
import { runReference } from '../../host/reference/infer.ts';
import { KernelError, STATUS_NAMES, WasmKernel } from '../../host/native/wasm-kernel.ts';
import { compareMutants, readerStatus, recrc, runNativeBatch } from '../kernel/harness.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const OLD_FILE = path.join(here, 'fixtures/har-tbn4-before-channels.tbn');
const HAR_CKPT = path.join(here, '../fixtures/models/har-tbn4.ckpt.json');

// Header layout written out here from FORMAT.md / tbn_format.h by hand, so the test does not
// take the offsets from the code it checks.
const FLAGS = 26;
const LABELS_OFFSET = 36;
const LABELS_BYTES = 40;
const QUANT_COUNT = 48;
const CHANNELS_OFFSET = 52;
const CHANNELS_BYTES = 56;
const RATE = 60;

const u16 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint16(o, true);
const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
const set16 = (b: Uint8Array, o: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint16(o, v, true);
const set32 = (b: Uint8Array, o: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, true);

function wasmStatus(kernel: WasmKernel, b: Uint8Array): string {
  try {
    kernel.open(b).close();
    return 'TBN_OK';
  } catch (e) {
    if (e instanceof KernelError) return e.statusName;
    throw e;
  }
}

/** A random model with a 6-entry channel table, a rate, several classes and layers. */
function describedModel(): { content: ModelContent; bytes: Uint8Array } {
  for (let seed = 1; ; seed++) {
    const c = randomModelContent(seed);
    if (c.quantMul.length < 3 || c.classes.length < 2) continue;
    const content: ModelContent = {
      ...c,
      channels: Array.from({ length: c.quantMul.length }, (_, k) => ({ name: `ch${k}_é`, unit: k % 2 ? 'm/s2' : 'rad/s' })),
      rateHz: 50,
    };
    return { content, bytes: writeModel(content) };
  }
}

const { content, bytes: good } = describedModel();

describe('input channel table: round trip and old files', () => {
  it('writes names, units and rate and reads them back; the header fields are where FORMAT.md says', () => {
    const m = readModel(good);
    expect(m.channels).toEqual(content.channels);
    expect(m.rateHz).toBe(50);
    expect(u16(good, FLAGS)).toBe(0x3);
    expect(u32(good, RATE)).toBe(50000);
    const off = u32(good, CHANNELS_OFFSET);
    const n = u32(good, CHANNELS_BYTES);
    expect(off % 4).toBe(0);
    expect(off).toBeGreaterThanOrEqual(u32(good, LABELS_OFFSET) + u32(good, LABELS_BYTES));
    // Entries are "name<TAB>unit" NUL-terminated, one per quantisation pair.
    const text = new TextDecoder().decode(good.subarray(off, off + n));
    const expected = content.channels!.map((c) => `${c.name}\t${c.unit}\0`).join('');
    expect(text).toBe(expected);
    expect(u16(good, QUANT_COUNT)).toBe(content.channels!.length);
  });

  it('an entry without a unit is stored without a TAB and reads back with unit ""', () => {
    const c: ModelContent = { ...content, channels: content.channels!.map((ch, k) => (k === 0 ? { name: 'bare', unit: '' } : ch)), rateHz: undefined };
    const b = writeModel(c);
    const off = u32(b, CHANNELS_OFFSET);
    expect(new TextDecoder().decode(b.subarray(off, off + 5))).toBe('bare\0');
    const m = readModel(b);
    expect(m.channels?.[0]).toEqual({ name: 'bare', unit: '' });
    expect(m.rateHz).toBeUndefined();
    expect(u16(b, FLAGS)).toBe(0x1);
    expect(u32(b, RATE)).toBe(0);
  });

  it('refuses to write what the format cannot hold (wrong count, a TAB in a name, 64-byte entries)', () => {
    expect(() => writeModel({ ...content, channels: content.channels!.slice(1) })).toThrow(/channel names for/);
    expect(() => writeModel({ ...content, channels: content.channels!.map((c) => ({ ...c, name: 'a\tb' })) })).toThrow(/TAB or NUL/);
    expect(() => writeModel({ ...content, channels: content.channels!.map((c) => ({ name: 'x'.repeat(58), unit: 'rad/s' })) })).toThrow(/at most 63/);
  });

  it('a file packed before the table existed still loads (TS reader, native and wasm kernels) and runs like the reference', () => {
    const old = new Uint8Array(readFileSync(OLD_FILE));
    const m = readModel(old);
    expect(m.channels).toBeUndefined();
    expect(m.rateHz).toBeUndefined();
    const x = randomInput(7, m, 'f32');
    const native = runNativeBatch([{ model: old, inputs: [x] }])[0];
    expect(STATUS_NAMES[native?.status ?? -1]).toBe('TBN_OK');
    expect(native?.outputs[0]?.logits).toEqual(Array.from(runReference(m, x).logits));
    const kernel = WasmKernel.load();
    expect(wasmStatus(kernel, old)).toBe('TBN_OK');
  });

  it('the same checkpoint packed with --no-input-info is byte-identical to the old file; with it, only the table and flags differ', () => {
    const old = new Uint8Array(readFileSync(OLD_FILE));
    const fm = loadFloatModel(HAR_CKPT);
    expect(Buffer.from(packModel(fm, { inputInfo: false })).equals(Buffer.from(old))).toBe(true);
    const withInfo = readModel(packModel({ ...fm, units: ['m/s2', 'm/s2', 'm/s2', 'rad/s', 'rad/s', 'rad/s'], input: { ...fm.input, rateHz: 50 } }));
    expect(withInfo.channels?.map((c) => `${c.name}[${c.unit}]`)).toEqual(['x_acc[m/s2]', 'y_acc[m/s2]', 'z_acc[m/s2]', 'x_gyro[rad/s]', 'y_gyro[rad/s]', 'z_gyro[rad/s]']);
    expect(withInfo.rateHz).toBe(50);
    // 6 entries: 3 x "x_acc\tm/s2\0" (11 B) + 3 x "x_gyro\trad/s\0" (13 B) = 72 B, already a multiple of 4.
    expect(withInfo.fileBytes - old.length).toBe(72);
  });
});

type Case = { name: string; status: string; make: () => Uint8Array };
const off = () => u32(good, CHANNELS_OFFSET);
const len = () => u32(good, CHANNELS_BYTES);
const edit = (f: (b: Uint8Array) => void) => () => {
  const b = good.slice();
  f(b);
  return recrc(b);
};

const BAD: Case[] = [
  { name: 'unknown header flag 0x4', status: 'TBN_E_VERSION', make: edit((b) => set16(b, FLAGS, u16(b, FLAGS) | 0x4)) },
  { name: 'reserved header byte 50', status: 'TBN_E_VERSION', make: edit((b) => (b[50] = 1)) },
  { name: 'reserved header byte 51', status: 'TBN_E_VERSION', make: edit((b) => (b[51] = 0x80)) },
  { name: 'channel fields without the channel flag', status: 'TBN_E_VERSION', make: edit((b) => set16(b, FLAGS, u16(b, FLAGS) & ~1)) },
  { name: 'only channels_bytes set without the flag', status: 'TBN_E_VERSION', make: edit((b) => { set16(b, FLAGS, u16(b, FLAGS) & ~1); set32(b, CHANNELS_OFFSET, 0); }) },
  { name: 'rate flag with rate 0', status: 'TBN_E_VERSION', make: edit((b) => set32(b, RATE, 0)) },
  { name: 'rate without the rate flag', status: 'TBN_E_VERSION', make: edit((b) => set16(b, FLAGS, u16(b, FLAGS) & ~2)) },
  { name: 'misaligned channel table', status: 'TBN_E_ALIGN', make: edit((b) => set32(b, CHANNELS_OFFSET, off() + 2)) },
  { name: 'channel table past the end', status: 'TBN_E_OFFSET', make: edit((b) => set32(b, CHANNELS_BYTES, b.length)) },
  { name: 'channel table over the layer records', status: 'TBN_E_OFFSET', make: edit((b) => set32(b, CHANNELS_OFFSET, 64)) },
  { name: 'channel table offset wraps in 32 bits', status: 'TBN_E_OFFSET', make: edit((b) => set32(b, CHANNELS_OFFSET, 0xfffffffc)) },
  { name: 'one entry missing (table cut short)', status: 'TBN_E_LABELS', make: edit((b) => set32(b, CHANNELS_BYTES, len() - new TextEncoder().encode(`ch${content.channels!.length - 1}_é\t${content.channels!.at(-1)!.unit}\0`).length)) },
  { name: 'last entry not NUL-terminated', status: 'TBN_E_LABELS', make: edit((b) => (b[off() + len() - 1] = 0x41)) },
  { name: 'entry not UTF-8', status: 'TBN_E_LABELS', make: edit((b) => (b[off()] = 0xff)) },
  { name: 'entry with a lone continuation byte', status: 'TBN_E_LABELS', make: edit((b) => (b[off() + 1] = 0x80)) },
  { name: 'bytes left after the entries', status: 'TBN_E_LABELS', make: edit((b) => set32(b, CHANNELS_BYTES, len() + 1)) },
  { name: 'an empty table with the flag set', status: 'TBN_E_LABELS', make: edit((b) => set32(b, CHANNELS_BYTES, 0)) },
];

describe('corrupt channel tables: the same status from the TS reader, the sanitized native kernel and wasm', () => {
  const files = BAD.map((c) => ({ ...c, bytes: c.make() }));

  it('the base model is valid everywhere', () => {
    expect(readerStatus(good)).toBe('TBN_OK');
    expect(STATUS_NAMES[runNativeBatch([{ model: good, inputs: [] }])[0]?.status ?? -1]).toBe('TBN_OK');
    expect(wasmStatus(WasmKernel.load(), good)).toBe('TBN_OK');
  });

  it.each(BAD.map((c) => [c.name, c.status]))('%s -> %s', (name, status) => {
    const f = files.find((x) => x.name === name)!;
    expect(readerStatus(f.bytes)).toBe(status);
    expect(wasmStatus(WasmKernel.load(), f.bytes)).toBe(status);
  });

  it('native ASan+UBSan build: every crafted file gets the expected status', () => {
    const results = runNativeBatch(files.map((f) => ({ model: f.bytes, inputs: [] })));
    expect(files.map((f, k) => `${f.name}: ${STATUS_NAMES[results[k]?.status ?? -1]}`)).toEqual(files.map((f) => `${f.name}: ${f.status}`));
  });

  it('the reader names the channel table in its message', () => {
    const f = files.find((x) => x.name === 'entry not UTF-8')!;
    expect(() => readModel(f.bytes)).toThrow(/channel table: entry 0 is not valid UTF-8/);
  });

  it('2000 CRC-fixed mutations of described models (header and channel table): kernel status = reader status', () => {
    const r = rng(9091);
    const models = Array.from({ length: 20 }, (_, k) => writeModel(randomModelContent(500 + k, { inputInfo: true })));
    expect(models.some((m) => readModel(m).channels !== undefined)).toBe(true);
    const mutants: Uint8Array[] = [];
    for (let k = 0; k < 2000; k++) {
      const m = (models[k % models.length] as Uint8Array).slice();
      const tableAt = u32(m, CHANNELS_OFFSET);
      const tableLen = u32(m, CHANNELS_BYTES);
      const changes = r() < 0.6 ? 1 : 2;
      for (let j = 0; j < changes; j++) {
        const where = r();
        const pos = where < 0.4 || tableLen === 0 ? 16 + Math.floor(r() * 48) : where < 0.9 ? tableAt + Math.floor(r() * tableLen) : 16 + Math.floor(r() * (m.length - 16));
        m[pos] = r() < 0.5 ? Math.floor(r() * 256) : (m[pos] as number) ^ (1 << Math.floor(r() * 8));
      }
      mutants.push(recrc(m));
    }
    const { expected, mismatches } = compareMutants(mutants);
    expect(mismatches).toEqual([]);
    const seen = new Set(expected);
    for (const s of ['TBN_OK', 'TBN_E_VERSION', 'TBN_E_LABELS']) expect(seen, s).toContain(s);
  });
});

describe('what tbn pack stores', () => {
  it('names of a wide tabular input (a table over 1 KB) stay in the checkpoint; sensor channels are stored', async () => {
    const { inputInfo } = await import('../../host/format/pack.ts');
    const base = { kind: 'tbn-float-model' as const, version: 1 as const, classes: ['a'], layers: [] };
    const wide = Array.from({ length: 200 }, (_, i) => `column_${i}`);
    expect(inputInfo({ ...base, input: { shape: [1, 1, 200], mean: [], std: [], scale: 1 }, channels: wide }).channels).toBeUndefined();
    const six = inputInfo({ ...base, input: { shape: [1, 128, 6], mean: [], std: [], scale: 1, rateHz: 50 }, channels: ['x_acc', 'y_acc', 'z_acc', 'x_gyro', 'y_gyro', 'z_gyro'], units: ['m/s2', 'm/s2', 'm/s2', 'rad/s', 'rad/s', 'rad/s'] });
    expect(six.channels?.[5]).toEqual({ name: 'z_gyro', unit: 'rad/s' });
    expect(six.rateHz).toBe(50);
    // names that do not match the channel count are not stored rather than stored wrongly
    expect(inputInfo({ ...base, input: { shape: [1, 128, 6], mean: [], std: [], scale: 1 }, channels: ['x_acc'] }).channels).toBeUndefined();
  });
});
