/**
 * monitorDevice (tbn monitor) against a scripted board on an in-memory link: a port that fails while
 * monitoring rejects the wait (no uncaught exception), and a long session (more predictions than a
 * spread of their timings into Math.max survives) still summarises.
 */
import { describe, expect, it } from 'vitest';
import { TbnError } from '../../host/errors.ts';
import { monitorDevice } from '../../host/monitor/monitor.ts';
import * as F from '../../host/protocol/frames.ts';
import type { Link } from '../../host/stream/link.ts';

const P = F.P;

/** A board predicting on its own MPU-6050 that answers HELLO, SENSOR_REQ and STATUS_REQ; `predictions` follow the second STATUS (the first poll once monitoring listens). */
function scriptedBoard(o: { predictions: number; microsOf: (k: number) => number }) {
  const dec = P.newDecoder();
  const handlers: Array<(b: Uint8Array) => void> = [];
  const state = { failWrites: false, statusRequests: 0, predicted: 0 };
  const raw = new Uint8Array(P.MAX_FRAME);
  const enc = new Uint8Array(P.MAX_ENCODED + 1);
  const out: Uint8Array[] = [];
  const frame = (len: number) => {
    const n = P.encodeFrame(raw, len, enc);
    out.push(enc.slice(0, n));
  };
  const flush = () => {
    const chunks = out.splice(0);
    setImmediate(() => chunks.forEach((c) => handlers.forEach((h) => h(c))));
  };
  const status = () => {
    raw.fill(0);
    raw[0] = P.T_STATUS;
    P.putU16(raw, 1, P.SENSOR_STREAM);
    raw[7] = P.COUNTER_COUNT;
    P.putU32(raw, 8 + 4 * P.COUNTER_NAMES.indexOf('predictions'), state.predicted);
    frame(8 + 4 * P.COUNTER_COUNT);
  };
  const handle = (f: Uint8Array) => {
    if (f[0] === P.T_HELLO) {
      raw.fill(0);
      raw[0] = P.T_INFO;
      raw[1] = P.PROTOCOL_VERSION;
      raw[2] = 1;
      P.putU16(raw, 11, 2);
      frame(29 + [...'A\nB'].map((c, i) => (raw[29 + i] = c.charCodeAt(0))).length);
    } else if (f[0] === P.T_SENSOR_REQ) {
      raw.fill(0);
      raw[0] = P.T_SENSOR;
      raw[1] = P.KIND_MPU6050;
      raw[2] = P.MODE_PREDICT;
      raw[3] = 1;
      raw[4] = 6;
      P.putU32(raw, 5, 50_000);
      frame(18);
    } else if (f[0] === P.T_STATUS_REQ) {
      status();
      if (state.statusRequests++ === 1) {
        for (let k = 0; k < o.predictions; k++) {
          raw[0] = P.T_PREDICTION;
          P.putU16(raw, 1, P.SENSOR_STREAM);
          P.putU32(raw, 3, 64 + 32 * k);
          P.putU16(raw, 7, k % 2);
          P.putU32(raw, 9, o.microsOf(k));
          P.putU32(raw, 13, 1000);
          raw[17] = 0;
          frame(18);
          state.predicted++;
        }
      }
    }
  };
  const link: Link = {
    write(bytes) {
      if (state.failWrites) throw new TbnError('E_PORT', 'serial port /dev/fake: device disconnected');
      for (let i = 0; i < bytes.length; ) {
        i = P.decodeSome(dec, bytes, i);
        if (dec.result === P.D_FRAME) handle(dec.frame.slice(0, dec.length));
      }
      flush();
    },
    onData(h) {
      handlers.push(h);
    },
    async close() {},
  };
  return { link, state };
}

describe('tbn monitor (monitorDevice)', () => {
  it('a port that fails while monitoring rejects with its error, at once, nothing uncaught', async () => {
    const board = scriptedBoard({ predictions: 3, microsOf: () => 1500 });
    const t0 = Date.now();
    const run = monitorDevice(board.link, { seconds: 30, statusEveryMs: 20 });
    setTimeout(() => (board.state.failWrites = true), 200);
    await expect(run).rejects.toThrow(/E_PORT|device disconnected/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('summarises 300,000 predictions (mean and max inference time)', async () => {
    const n = 300_000;
    const board = scriptedBoard({ predictions: n, microsOf: (k) => (k === 123_456 ? 9_000_000 : 1000 + (k % 3)) });
    const report = await monitorDevice(board.link, { count: n, statusEveryMs: 100 });
    expect(report.predictions).toBe(n);
    expect(report.inferenceMicros.max).toBe(9_000_000);
    // 100,000 each of 1000, 1001, 1002 (the 123,456th, 1000 + 0, replaced by 9,000,000).
    expect(report.inferenceMicros.mean).toBeCloseTo((100_000 * (1000 + 1001 + 1002) - 1000 + 9_000_000) / n, 6);
    expect(report.classCounts).toEqual({ A: n / 2, B: n / 2 });
  }, 60_000);
});
