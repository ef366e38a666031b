/**
 * issue 16 #3, #16, #18 (paced rate), #13: how `tbn stream` ends when the device refuses, dies or is
 * interrupted, in process against the simulator (the device side is the real bundle).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { loadBoard } from '../../host/boards.ts';
import type { Recording } from '../../host/data/recording.ts';
import { rng } from '../../host/format/random-model.ts';
import { startInProcess } from '../../host/sim/in-process.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { DeviceClient } from '../../host/stream/client.ts';
import type { Link } from '../../host/stream/link.ts';
import { int16Clipping, StreamInterrupted, streamRecordings } from '../../host/stream/session.ts';
import { harShapedModel } from '../sim/har-model.ts';

const board = loadBoard('stm32f405');
const C = 6;

function recording(name: string, count: number, seed: number): Recording {
  const r = rng(seed);
  const samples = new Float32Array(count * C);
  for (let i = 0; i < samples.length; i++) samples[i] = (r() - 0.5) * 8;
  return { file: name, subject: 's99', rate: 50, channels: ['a', 'b', 'c', 'd', 'e', 'f'], samples, labels: new Int32Array(count), count };
}

async function device() {
  return startInProcess({ board, bundle: readBundle(), model: harShapedModel(3), tbn: await loadWasmTbnModule() });
}

/** A link that goes silent (drops everything both ways) once `dead()` is called: a simulator that died. */
function killable(link: Link): { link: Link; kill(): void } {
  let dead = false;
  return {
    kill: () => {
      dead = true;
    },
    link: {
      write: (b) => {
        if (!dead) link.write(b);
      },
      onData: (h) => link.onData((b) => (dead ? undefined : h(b))),
      close: () => link.close(),
    },
  };
}

describe('stream faults', () => {
  it('#3: a device ERROR repeated for every frame ends the stream with the device\'s message (no endless loop)', async () => {
    const { link } = await device();
    const client = new DeviceClient(link);
    await client.hello();
    const t0 = Date.now();
    // shift 40 is outside what the device accepts (0..30): it answers every SAMPLES frame with ERROR 3.
    await expect(client.stream(recording('r', 400, 1).samples, C, { mode: 'fast', format: 'i16', shift: 40, stallMs: 60_000 })).rejects.toThrow(
      /the device refused the stream: ERROR 3 "bad SAMPLES frame[^"]*" \d+ times with no sample accepted/,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    await link.close();
  }, 30_000);

  it('#16: the device dying mid-stream names the recording and keeps the scores of the finished ones', async () => {
    const sim = await device();
    const k = killable(sim.link);
    const recs = [recording('first.csv', 300, 1), recording('second.csv', 300, 2), recording('third.csv', 300, 3)];
    let err: unknown;
    try {
      await streamRecordings(k.link, recs, { mode: 'fast', stallMs: 1500, onRecording: (rec) => rec.file === 'first.csv' && k.kill() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StreamInterrupted);
    const e = err as StreamInterrupted;
    expect(e.message).toMatch(/^the device stopped answering during second\.csv \(/);
    expect(e.message).toMatch(/1 of 3 recordings finished/);
    expect(e.partial.recordings.map((r) => r.file)).toEqual(['first.csv']);
    expect(e.partial.recordings[0]?.predictions).toBe(e.partial.recordings[0]?.expected);
    expect(e.partial.predictions).toBeGreaterThan(0);
    await k.link.close();
  }, 30_000);

  it('#16: an abort (Ctrl-C) ends the stream with a partial report of what finished', async () => {
    const { link } = await device();
    const abort = new AbortController();
    const recs = [recording('one.csv', 300, 1), recording('two.csv', 3000, 2)];
    const p = streamRecordings(link, recs, { mode: 'realtime', rate: 2000, signal: abort.signal, onRecording: () => abort.abort() });
    await expect(p).rejects.toSatisfy((e: unknown) => e instanceof StreamInterrupted && e.code === 'E_INTERRUPTED' && e.partial.recordings.length === 1 && /interrupted during two\.csv/.test(e.message));
    await link.close();
  }, 30_000);

  it('#18: the paced samples/s figure counts the sending time, not the wait for missing predictions', async () => {
    const { link } = await device();
    const client = new DeviceClient(link);
    await client.hello();
    await client.reset();
    const count = 400;
    let frames = 0;
    const t0 = Date.now();
    // The frame of samples 380-383 is lost: the last window (256-383) never completes, so the stream waits stallMs for it.
    const r = await client.stream(recording('r', count, 4).samples, C, { mode: 'realtime', rate: 1000, samplesPerFrame: 4, stallMs: 1500, tap: (b, kind) => (kind === 'samples' && ++frames === 96 ? [] : [b]) });
    expect(r.missing).toBe(1);
    const wall = (Date.now() - t0) / 1000;
    expect(wall).toBeGreaterThan(1.5);
    expect(r.seconds).toBeLessThan(1.0); // 400 samples at 1,000/s = 0.4 s of sending
    expect(r.samples / r.seconds).toBeGreaterThan(400);
    await link.close();
  }, 30_000);

  it('#13: int16 clipping is counted, with the largest shift that sends every value unclipped', () => {
    const rec = recording('r', 2, 1);
    rec.samples.set([1, -200, 0.5, 127, 128, -128, 3, 4, 5, 6, 7, 8]);
    const c = int16Clipping([rec], 8); // -200*256 and 128*256 overflow; 127*256 and -128*256 (= -32768) fit
    expect(c).toEqual({ clipped: 2, values: 12, maxAbs: 200, largestShift: 7 });
    expect(int16Clipping([rec], 7).clipped).toBe(0);
  });

  it('#13: tbn stream --int16 --shift 14 warns before streaming how many values it clips', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-clip-'));
    const file = path.join(dir, 'r.csv');
    writeFileSync(file, ['a,b,label', '1.5,9.81,x', '-3,0.25,y', '0.5,0.5,x'].join('\n'));
    const err: string[] = [];
    const code = await main(['stream', '--port', path.join(dir, 'no-port'), '--recording', file, '--int16', '--shift', '14'], { out: () => undefined, err: (t) => err.push(t), interactive: false });
    expect(code).toBe(1); // the port does not exist; the warning came before opening it
    expect(err.filter((l) => l.startsWith('warning:'))).toEqual(['warning: --shift 14 clips 2 of 6 values (33.33%) to the int16 range: the largest |value| is 9.810, so --shift 11 or less sends every value unclipped']);
    expect(err.findIndex((l) => l.startsWith('warning:'))).toBeLessThan(err.findIndex((l) => /no-port/.test(l)));
  });
});
