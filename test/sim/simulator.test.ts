import { describe, expect, it } from 'vitest';
import { loadBoard } from '../../host/boards.ts';
import { readModel } from '../../host/format/reader.ts';
import { startInProcess } from '../../host/sim/in-process.ts';
import { readBundle, Simulator } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import * as F from '../../host/protocol/frames.ts';
import { DeviceClient } from '../../host/stream/client.ts';
import { harShapedModel } from './har-model.ts';

const board = loadBoard('stm32f405');
const fmt = (n: number) => n.toLocaleString('en-US');

describe('simulator limits', () => {
  it('refuses a model whose scratch does not fit the board, with the numbers', async () => {
    const big = harShapedModel(1, { hidden: 4096 });
    const scratch = readModel(big).scratchBytes;
    expect(scratch).toBeGreaterThan(board.appRamBytes);
    const start = async () => Simulator.start({ board, bundle: readBundle(), model: big, tbn: await loadWasmTbnModule(), transmit: () => {} });
    await expect(start()).rejects.toThrow(`model scratch needs ${fmt(scratch)} B of RAM, the stm32f405 has ${fmt(board.appRamBytes)} B`);
    await expect(start()).rejects.toThrow(/JS variables/);
  });

  it('refuses a model larger than the board\'s model flash', async () => {
    const tiny = { ...board, modelFlashBytes: 256 };
    const model = harShapedModel(1);
    const start = async () => Simulator.start({ board: tiny, bundle: readBundle(), model, tbn: await loadWasmTbnModule(), transmit: () => {} });
    await expect(start()).rejects.toThrow(`model needs ${fmt(model.length)} B of flash, the stm32f405 has 256 B for models`);
  });

  it('accepts a HAR-sized model and reports its budget', async () => {
    const sim = Simulator.start({ board, bundle: readBundle(), model: harShapedModel(1), tbn: await loadWasmTbnModule(), transmit: () => {} });
    expect(sim.limits.fit.fits).toBe(true);
    expect(sim.limits.jsVarsUsed).toBeLessThan(board.jsVars);
    sim.stop();
  });
});

describe('device app behaviour', () => {
  it('without a model in Storage it says so and refuses samples with an ERROR', async () => {
    const tbn = await loadWasmTbnModule();
    // The fit check opens the model on the host; the app then finds a corrupted copy in Storage.
    const good = harShapedModel(1);
    const { link } = startInProcess({ board, bundle: readBundle(), model: good, tbn: { ...tbn, open: (b: unknown) => (typeof b === 'string' ? tbn.open(b.slice(0, 100)) : tbn.open(b)) } });
    const client = new DeviceClient(link);
    const info = await client.hello();
    expect(info.modelOk).toBe(false);
    expect(info.error).toMatch(/^tbn: /);
    const errors: F.ErrorMessage[] = [];
    client.listen((m) => m.type === 'error' && errors.push(m));
    link.write(F.encode(F.samplesFrame(0, 0, new Float32Array(6), 6, 0, 1, 'f32')));
    const status = await client.status();
    expect(status.counters.badPayload).toBe(1);
    expect(errors.map((e) => e.code)).toContain(F.P.E_MODEL);
    await link.close();
  });

  it('answers a SAMPLES frame with the wrong channel count with an ERROR and counts it', async () => {
    const { link } = startInProcess({ board, bundle: readBundle(), model: harShapedModel(1), tbn: await loadWasmTbnModule() });
    const client = new DeviceClient(link);
    await client.hello();
    const errors: F.ErrorMessage[] = [];
    client.listen((m) => m.type === 'error' && errors.push(m));
    link.write(F.encode(F.samplesFrame(0, 0, new Float32Array(9), 3, 0, 3, 'f32')));
    const status = await client.status();
    expect(status.counters.badPayload).toBe(1);
    expect(errors[0]?.code).toBe(F.P.E_SAMPLES);
    expect(errors[0]?.message).toMatch(/6 channels/);
    await link.close();
  });

  it('int16 samples reach the model as value / 2^shift', async () => {
    const tbn = await loadWasmTbnModule();
    const model = harShapedModel(4);
    const { link } = startInProcess({ board, bundle: readBundle(), model, tbn });
    const client = new DeviceClient(link);
    await client.hello();
    const x = new Float32Array(128 * 6);
    for (let i = 0; i < x.length; i++) x[i] = Math.cos(i * 0.37) * 9.3;
    const res = await client.stream(x, 6, { mode: 'fast', format: 'i16', shift: 8 });
    const h = tbn.open(model);
    const logits = new Int32Array(5);
    const cls = tbn.run(h, F.dequantiseI16(x, 8), logits);
    expect(res.predictions).toHaveLength(1);
    expect(res.predictions[0]?.cls).toBe(cls);
    expect(Array.from(res.predictions[0]!.logits)).toEqual(Array.from(logits));
    await link.close();
  });
});

describe('device app, paced streams', () => {
  it('a gap to a far sequence number skips the broken windows without stalling', async () => {
    const { link, sim } = startInProcess({ board, bundle: readBundle(), model: harShapedModel(1), tbn: await loadWasmTbnModule() });
    const client = new DeviceClient(link);
    await client.hello();
    await client.request(F.start(7, false), (m): m is F.AckMessage => m.type === 'ack' && m.stream === 7, 'START');
    const x = new Float32Array(6 * 200).map((_, i) => Math.sin(i));
    const predictions: F.PredictionMessage[] = [];
    client.listen((m) => m.type === 'prediction' && predictions.push(m));
    const far = 4_000_000_000;
    for (let k = 0; k < 50; k++) link.write(F.encode(F.samplesFrame(7, k * 4, x, 6, k * 4, 4, 'f32'))); // 0..199
    for (let k = 0; k < 50; k++) link.write(F.encode(F.samplesFrame(7, far + k * 4, x, 6, k * 4, 4, 'f32')));
    const t0 = performance.now();
    const status = await client.status();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(status.nextSeq).toBe(far + 200);
    expect(status.counters.droppedSamples).toBe(far - 200);
    expect(status.counters.seqGaps).toBe(1);
    // Windows end at 128 + 64k: 128 and 192 before the gap; after it, windows starting at or
    // after the gap.
    const firstAfter = 128 + Math.ceil(far / 64) * 64;
    const after = [firstAfter, firstAfter + 64].filter((e) => e <= far + 200);
    for (let i = 0; i < 100 && predictions.length < 2 + after.length; i++) await new Promise((r) => setTimeout(r, 10));
    // The windows complete before the gap are inferred before its samples overwrite them.
    expect(predictions.map((p) => p.endSeq)).toEqual([128, 192, ...after]);
    expect(sim.appErrors()).toEqual([]);
    await link.close();
  });
});
