/**
 * Recordings are matched to the model's input channels by name (issue 16 #14): swapped columns are
 * reordered, a missing column is named, a unit that differs from training is refused. Streamed end
 * to end through the simulated device, every prediction equals the integer reference on the
 * correctly ordered window.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoard } from '../../host/boards.ts';
import { defaultHarRoot, loadRecording } from '../../host/data/sp-sw-har.ts';
import type { InputChannel } from '../../host/format/model.ts';
import { readModel } from '../../host/format/reader.ts';
import { writeModel } from '../../host/format/writer.ts';
import { runReference } from '../../host/reference/infer.ts';
import { startInProcess } from '../../host/sim/in-process.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { loadAnyRecording, streamRecordings } from '../../host/stream/session.ts';
import { main } from '../../host/cli.ts';
import { startPtySimulator } from '../../host/sim/serve.ts';
import { harShapedModel } from '../sim/har-model.ts';

const root = defaultHarRoot();
const HAR: InputChannel[] = [
  { name: 'x_acc', unit: 'm/s2' }, { name: 'y_acc', unit: 'm/s2' }, { name: 'z_acc', unit: 'm/s2' },
  { name: 'x_gyro', unit: 'rad/s' }, { name: 'y_gyro', unit: 'rad/s' }, { name: 'z_gyro', unit: 'rad/s' },
];
const dir = mkdtempSync(path.join(tmpdir(), 'tbn-chan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(root === undefined)('recordings matched to the model by channel name (needs ../shared/data/sp-sw-har)', () => {
  const source = path.join(root ?? '', 's15/s15_01_sw.csv');
  const original = () => loadRecording(source, { rate: 50 });

  /** The original's resampled rows as a generic CSV (no timestamp) with the columns in `order`. */
  function genericCsv(name: string, order: string[], header = order): string {
    const rec = original();
    const lines = [`${header.join(',')},label`];
    for (let k = 0; k < rec.count; k++) {
      lines.push(`${order.map((c) => rec.samples[k * 6 + rec.channels.indexOf(c)]).join(',')},${rec.classes?.[rec.labels[k] as number]}`);
    }
    const file = path.join(dir, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it('swapped columns of a generic CSV are put back in the model order, value for value', () => {
    const swapped = genericCsv('swapped.csv', ['z_gyro', 'y_acc', 'x_gyro', 'z_acc', 'x_acc', 'y_gyro']);
    const rec = loadAnyRecording(swapped, 50, HAR);
    expect(rec.channels).toEqual(HAR.map((c) => c.name));
    const want = original();
    expect(rec.count).toBe(want.count);
    // Values went through decimal text: the same float32 after parsing.
    expect(Array.from(rec.samples)).toEqual(Array.from(want.samples));
  });

  it('streams the swapped CSV and every prediction equals the reference on the correctly ordered window', async () => {
    const model = writeModel({ ...readModel(harShapedModel(7)), channels: HAR, rateHz: 50 });
    const packed = readModel(model);
    const W = packed.inShape[1];
    const swapped = genericCsv('swapped-stream.csv', ['z_gyro', 'y_acc', 'x_gyro', 'z_acc', 'x_acc', 'y_gyro']);
    const rec = loadAnyRecording(swapped, 50);
    expect(rec.channels).not.toEqual(HAR.map((c) => c.name)); // without the model's names: file order
    const want = original();
    const { link } = startInProcess({ board: loadBoard('stm32f405'), bundle: readBundle(), model, tbn: await loadWasmTbnModule() });
    const mismatches: string[] = [];
    let compared = 0;
    try {
      await streamRecordings(link, [rec], {
        mode: 'fast',
        samplesPerFrame: 4,
        modelChannels: packed.channels,
        onRecording: (_r, result) => {
          for (const p of result.predictions) {
            const ref = runReference(packed, want.samples.slice((p.endSeq - W) * 6, p.endSeq * 6));
            if (p.cls !== ref.cls || Array.from(p.logits).join() !== Array.from(ref.logits).join()) mismatches.push(`window ending ${p.endSeq}`);
            compared++;
          }
        },
      });
    } finally {
      await link.close();
    }
    expect(compared).toBe(Math.floor((want.count - W) / (W / 2)) + 1);
    expect(mismatches).toEqual([]);
  });

  it('tbn stream --model over a pty: the swapped CSV scores exactly like the original file', async () => {
    const modelFile = path.join(dir, 'm.tbn');
    const model = writeModel({ ...readModel(harShapedModel(11)), channels: HAR, rateHz: 50 });
    writeFileSync(modelFile, model);
    const swapped = genericCsv('swapped-cli.csv', ['y_gyro', 'x_acc', 'z_gyro', 'y_acc', 'x_gyro', 'z_acc']);
    const inOrder = genericCsv('in-order-cli.csv', HAR.map((c) => c.name));
    const run = async (args: string[]) => {
      const ps = await startPtySimulator({ board: loadBoard('stm32f405'), bundle: readBundle(), model, tbn: await loadWasmTbnModule() });
      const out: string[] = [];
      const err: string[] = [];
      try {
        const code = await main(['stream', '--port', ps.hostPath, '--json', ...args], { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false });
        expect(code, err.join('\n')).toBe(0);
      } finally {
        await ps.close();
      }
      return JSON.parse(out.join('')) as { predictions: number; correct: number; confusion: number[][] };
    };
    const want = await run(['--recording', inOrder]);
    const got = await run(['--recording', swapped, '--model', modelFile]);
    expect(got.predictions).toBe(want.predictions);
    expect(got.confusion).toEqual(want.confusion);
    const unmatched = await run(['--recording', swapped]);
    expect(unmatched.confusion).not.toEqual(want.confusion); // what --model prevents
  }, 120_000);

  it('a generic CSV without a model channel is refused naming it, before anything is sent', () => {
    const file = genericCsv('no-ygyro.csv', ['x_acc', 'y_acc', 'z_acc', 'x_gyro', 'z_gyro']);
    expect(() => loadAnyRecording(file, 50, HAR)).toThrow(/no column for the model's input channel y_gyro \(/);
  });

  it('an sp-sw-har file missing z_gyro says so, naming the column, instead of falling back to the generic reader', () => {
    const lines = readFileSync(source, 'utf8').split('\n');
    const head = lines[0]!.split(',');
    const drop = head.indexOf('z_gyro');
    const cut = lines.filter((l) => l !== '').map((l) => l.split(',').filter((_, i) => i !== drop).join(','));
    const file = path.join(dir, 's15_99_sw.csv');
    writeFileSync(file, `${cut.join('\n')}\n`);
    expect(() => loadAnyRecording(file, 50)).toThrow(/s15_99_sw\.csv:1: missing column "z_gyro"; the header has: x_acc, y_acc, z_acc, x_gyro, y_gyro, timestamp, label/);
    expect(() => loadAnyRecording(file, 50, HAR)).toThrow(/missing column "z_gyro"/);
  });

  it('an accelerometer-only recording in the sp-sw-har layout (a Bangle.js) loads its three channels', () => {
    const lines = readFileSync(source, 'utf8').split('\n').filter((l) => l !== '');
    const head = lines[0]!.split(',');
    const keep = head.map((h, i) => (h.endsWith('_gyro') ? -1 : i)).filter((i) => i >= 0);
    const file = path.join(dir, 's15_98_sw.csv');
    writeFileSync(file, `${lines.map((l) => keep.map((i) => l.split(',')[i]).join(',')).join('\n')}\n`);
    const rec = loadAnyRecording(file, 50);
    expect(rec.channels).toEqual(['x_acc', 'y_acc', 'z_acc']);
    expect(rec.units).toEqual(['m/s2', 'm/s2', 'm/s2']);
    expect(() => loadAnyRecording(file, 50, HAR)).toThrow(/no column for the model's input channels x_gyro, y_gyro, z_gyro/);
  });

  it('a unit that differs from training (header x_acc[g] vs m/s2) is refused naming the channel', () => {
    const file = genericCsv('g.csv', HAR.map((c) => c.name), ['x_acc[g]', 'y_acc[m/s2]', 'z_acc', 'x_gyro', 'y_gyro', 'z_gyro']);
    expect(() => loadAnyRecording(file, 50, HAR)).toThrow(/units differ from training: x_acc is in g, the model's in m\/s2$/);
  });
});
