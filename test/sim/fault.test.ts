/**
 * Fault injection through the app in the simulator (in-process link, for speed): 100,000 sample
 * frames with 2% corrupted. Every window is still predicted (go-back-N recovers the lost samples)
 * and equals the integer reference; every bad frame is counted by the device; it still answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../../host/boards.ts';
import { readModel } from '../../host/format/reader.ts';
import { rng } from '../../host/format/random-model.ts';
import { runReference } from '../../host/reference/infer.ts';
import { startInProcess } from '../../host/sim/in-process.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import * as F from '../../host/protocol/frames.ts';
import { DeviceClient } from '../../host/stream/client.ts';
import { harShapedModel } from './har-model.ts';

const board = loadBoard('stm32f405');

function signal(count: number, channels: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(count * channels);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.013 + (i % channels)) * 4 + (r() - 0.5) * 6;
  return x;
}

describe('fault tolerance', () => {
  it('100,000 frames, 2% corrupted: every window predicted exactly, every bad frame counted', async () => {
    const modelBytes = harShapedModel(11);
    const reference = readModel(modelBytes);
    const W = reference.inShape[1];
    const C = reference.inShape[2];
    const { sim, link } = startInProcess({ board, bundle: readBundle(), model: modelBytes, tbn: await loadWasmTbnModule() });
    const client = new DeviceClient(link);
    await client.hello();
    await client.reset();

    const spf = 2;
    const frames = 100_000;
    const samples = signal(frames * spf, C, 5);
    const r = rng(99);
    const nonZero = (n: number) => Uint8Array.from({ length: n }, () => 1 + Math.floor(r() * 255));
    const injected = { bitFlip: 0, truncated: 0, junk: 0, tooLong: 0 };
    let transmissions = 0;
    const tap = (enc: Uint8Array): Uint8Array[] => {
      transmissions++;
      if (r() >= 0.02) return [enc];
      const kind = Math.floor(r() * 4);
      if (kind === 0) {
        // Flip one bit of the body, never creating a 0x00 (that would split it into two frames).
        const bad = enc.slice();
        const i = Math.floor(r() * (enc.length - 1));
        let bit = Math.floor(r() * 8);
        while (((bad[i] as number) ^ (1 << bit)) === 0) bit = (bit + 1) % 8;
        bad[i] = (bad[i] as number) ^ (1 << bit);
        injected.bitFlip++;
        return [bad];
      }
      if (kind === 1) {
        injected.truncated++;
        return [enc.slice(0, 1 + Math.floor(r() * (enc.length - 2))), Uint8Array.of(0)];
      }
      if (kind === 2) {
        injected.junk++; // junk glued in front of the frame: the pair is one bad frame
        return [nonZero(1 + Math.floor(r() * 40)), enc];
      }
      injected.tooLong++; // an over-long frame between two good ones
      return [nonZero(300 + Math.floor(r() * 300)), Uint8Array.of(0), enc];
    };
    const result = await client.stream(samples, C, { mode: 'fast', samplesPerFrame: spf, maxInFlight: 16, retransmitMs: 20, tap });
    const status = await client.status();
    const info = await client.hello(); // still answers
    await link.close();

    const count = frames * spf;
    const expected = Math.floor((count - W) / (W / 2)) + 1;
    expect(result.predictions.map((p) => p.endSeq)).toEqual(Array.from({ length: expected }, (_, k) => W + (k * W) / 2));
    for (const p of result.predictions) {
      const ref = runReference(reference, samples.subarray((p.endSeq - W) * C, p.endSeq * C));
      if (p.cls !== ref.cls || Array.from(p.logits).join() !== Array.from(ref.logits).join()) {
        throw new Error(`window ending ${p.endSeq}: device ${p.cls} [${p.logits}] vs reference ${ref.cls} [${ref.logits}]`);
      }
    }
    const bad = injected.bitFlip + injected.truncated + injected.junk + injected.tooLong;
    expect(bad).toBeGreaterThan(0.015 * transmissions);
    expect(Math.min(...Object.values(injected))).toBeGreaterThan(200);
    const c = status.counters;
    expect(c.badCrc! + c.badFraming! + c.tooLong! + c.badPayload! + c.unknownType!).toBe(bad);
    expect(c.tooLong).toBe(injected.tooLong);
    expect(c.samples).toBe(count); // each sample accepted exactly once
    expect(c.predictions).toBe(expected);
    expect(c.overruns).toBe(0);
    expect(result.overruns).toEqual([]);
    expect(result.missing).toBe(0);
    expect(result.retransmittedFrames).toBeGreaterThan(0);
    expect(info.modelOk).toBe(true);
    expect(sim.appErrors()).toEqual([]);
  });

  it('reports overruns when samples arrive faster than inference, never silently dropping', async () => {
    const modelBytes = harShapedModel(3);
    const wasm = await loadWasmTbnModule();
    // A board whose inference is slow: 4 ms per window.
    const slow = {
      ...wasm,
      run(m: unknown, x: Float32Array | Int8Array, lg?: Int32Array) {
        const until = performance.now() + 4;
        while (performance.now() < until);
        return wasm.run(m, x, lg);
      },
    };
    const { sim, link } = startInProcess({ board, bundle: readBundle(), model: modelBytes, tbn: slow, config: { stride: 16 } });
    const client = new DeviceClient(link);
    const info = await client.hello();
    expect(info.stride).toBe(16); // from tbn.cfg in Storage
    expect(info.ring).toBe(128 + 32);
    await client.reset();
    const count = 4000;
    const result = await client.stream(signal(count, 6, 1), 6, { mode: 'realtime', rate: 1e6, samplesPerFrame: 8, stallMs: 3000 });
    const status = await client.status();
    await link.close();
    const expected = Math.floor((count - info.window) / info.stride) + 1;
    expect(status.counters.overruns).toBeGreaterThan(0);
    expect(result.overruns.length).toBe(status.counters.overruns);
    // Every window is accounted for: predicted or reported as overrun.
    expect(result.predictions.length + result.overruns.length).toBe(expected);
    const ends = new Set([...result.predictions.map((p) => p.endSeq), ...result.overruns]);
    expect(ends.size).toBe(expected);
    expect(sim.appErrors()).toEqual([]);
  });

  it('survives arbitrary byte streams and still answers HELLO', async () => {
    const { sim, link } = startInProcess({ board, bundle: readBundle(), model: harShapedModel(2), tbn: await loadWasmTbnModule() });
    const client = new DeviceClient(link);
    await client.hello();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (junk) => {
        link.write(junk);
        const info = await client.request(F.hello(), (m): m is F.InfoMessage => m.type === 'info', 'INFO', 3000, 1);
        expect(info.window).toBe(128);
      }),
      { numRuns: 60 },
    );
    const status = await client.status();
    expect(status.counters.framesOk).toBeGreaterThanOrEqual(61);
    expect(sim.appErrors()).toEqual([]);
    await link.close();
  });
});

describe('lossy return path', () => {
  it('finishes when ACKs and predictions from the device are lost, counting the unanswered windows', async () => {
    const { link, sim } = startInProcess({ board, bundle: readBundle(), model: harShapedModel(12), tbn: await loadWasmTbnModule() });
    let chunks = 0;
    let dropped = 0;
    // Each chunk from the in-process device is one frame: drop every 23rd.
    const lossy = {
      ...link,
      onData(h: (b: Uint8Array) => void) {
        link.onData((b) => {
          if (++chunks % 23 === 0) dropped++;
          else h(b);
        });
      },
    };
    const client = new DeviceClient(lossy);
    await client.hello();
    const count = 20_000;
    const result = await client.stream(signal(count, 6, 8), 6, { mode: 'fast', samplesPerFrame: 4, retransmitMs: 30, stallMs: 4000 });
    const status = await client.status();
    await link.close();
    const expected = Math.floor((count - 128) / 64) + 1;
    expect(dropped).toBeGreaterThan(100);
    expect(status.counters.predictions).toBe(expected); // the device answered every window
    expect(status.counters.samples).toBe(count);
    expect(result.predictions.length + result.missing).toBe(expected);
    expect(result.missing).toBeGreaterThan(0);
    expect(sim.appErrors()).toEqual([]);
  });
});
