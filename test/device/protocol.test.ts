import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as P from '../../device/protocol.ts';
import { encode, maxSamplesPerFrame, parseDeviceFrame, samplesFrame } from '../../host/protocol/frames.ts';

/** An independent COBS decoder (Cheshire & Baker 1999), to check the encoder against. */
function cobsDecode(enc: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < enc.length) {
    const code = enc[i++] as number;
    for (let k = 1; k < code; k++) out.push(enc[i++] as number);
    if (code < 0xff && i < enc.length) out.push(0);
  }
  return out;
}

function decodeAll(bytes: Uint8Array): { results: number[]; frames: number[][] } {
  const d = P.newDecoder();
  const results: number[] = [];
  const frames: number[][] = [];
  let i = 0;
  while (i < bytes.length) {
    i = P.decodeSome(d, bytes, i);
    if (d.result !== P.D_NONE) results.push(d.result);
    if (d.result === P.D_FRAME) frames.push(Array.from(d.frame.subarray(0, d.length)));
  }
  return { results, frames };
}

const frameArb = fc.uint8Array({ minLength: 1, maxLength: P.MAX_FRAME - P.CRC_BYTES });

describe('protocol', () => {
  it('CRC-32 gives the catalogued check value 0xCBF43926 for "123456789", as zlib does', () => {
    const b = new TextEncoder().encode('123456789');
    expect(P.crc32(b, 0, 9)).toBe(0xcbf43926);
    const z = new Uint8Array(1000).map((_, i) => (i * 31) ^ (i >> 3));
    expect(P.crc32(z, 0, z.length)).toBe(zlib.crc32(z));
  });

  it('encodes COBS with a single trailing delimiter and the CRC little-endian', () => {
    const enc = encode(Uint8Array.of(0x11, 0x22, 0x00, 0x33));
    expect(enc[enc.length - 1]).toBe(0);
    expect(enc.subarray(0, -1).includes(0)).toBe(false);
    const raw = cobsDecode(Array.from(enc.subarray(0, -1)));
    expect(raw.slice(0, 4)).toEqual([0x11, 0x22, 0x00, 0x33]);
    const crc = zlib.crc32(Uint8Array.of(0x11, 0x22, 0x00, 0x33));
    expect(raw.slice(4)).toEqual([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]);
  });

  it('round-trips any frame up to the size limit, and the encoded size stays bounded', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const enc = encode(frame);
        expect(enc.length - 1).toBeLessThanOrEqual(P.MAX_ENCODED);
        const c = zlib.crc32(frame);
        expect(cobsDecode(Array.from(enc.subarray(0, -1)))).toEqual([...frame, c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24]);
        const { results, frames } = decodeAll(enc);
        expect(results).toEqual([P.D_FRAME]);
        expect(frames[0]).toEqual(Array.from(frame));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a frame longer than the limit', () => {
    expect(() => encode(new Uint8Array(P.MAX_FRAME - P.CRC_BYTES + 1))).toThrow(/exceeds/);
  });

  it('never throws on arbitrary garbage and resynchronises at the next delimiter', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), frameArb, (junk, frame) => {
        const enc = encode(frame);
        const stream = new Uint8Array(junk.length + 1 + enc.length);
        stream.set(junk);
        stream[junk.length] = 0;
        stream.set(enc, junk.length + 1);
        const { results, frames } = decodeAll(stream);
        // One result at most per delimiter; the frame after the junk always comes through intact.
        const zeros = stream.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
        expect(results.length).toBeLessThanOrEqual(zeros);
        expect(results[results.length - 1]).toBe(P.D_FRAME);
        expect(frames[frames.length - 1]).toEqual(Array.from(frame));
      }),
      { numRuns: 500 },
    );
  });

  it('reports an over-long frame once, then decodes the next one', () => {
    const junk = new Uint8Array(3 * P.MAX_ENCODED).fill(0x55);
    const good = encode(Uint8Array.of(P.T_HELLO));
    const { results } = decodeAll(Uint8Array.from([...junk, 0, ...good]));
    expect(results).toEqual([P.D_TOO_LONG, P.D_FRAME]);
  });

  it('detects every single-bit error in a frame body', () => {
    const enc = encode(samplesFrame(1, 7, Float32Array.from([1, 2, 3, -4.5, 0, 1e-3]), 6, 0, 1, 'f32'));
    for (let i = 0; i < enc.length - 1; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = enc.slice();
        bad[i] = (bad[i] as number) ^ (1 << bit);
        const { results } = decodeAll(Uint8Array.from([...bad, 0]));
        expect(results).not.toContain(P.D_FRAME);
      }
    }
  });

  it('SAMPLES frames carry float32 bit-exactly and int16 as value / 2^shift', () => {
    const x = Float32Array.from([0.1, -2.5, 3.14159, 1e-7, -1e6, 0]);
    const f = samplesFrame(300, 123456, x, 3, 0, 2, 'f32');
    expect(P.getU16(f, 1)).toBe(300);
    expect(P.getU32(f, 3)).toBe(123456);
    for (let k = 0; k < 6; k++) expect(P.getF32(f, 1 + P.SAMPLES_HEADER + 4 * k)).toBe(x[k]);
    const g = samplesFrame(1, 0, Float32Array.from([1.5, -0.25, 200, -200]), 2, 0, 2, 'i16', 8);
    expect(P.getI16(g, 11)).toBe(384);
    expect(P.getI16(g, 13)).toBe(-64);
    expect(P.getI16(g, 15)).toBe(32767); // 200 * 256 clamps
    expect(P.getI16(g, 17)).toBe(-32768);
  });

  it('sizes: the largest SAMPLES frame fits, and 100 Hz x 6 channels uses well under 115200 baud', () => {
    const spf = maxSamplesPerFrame(6, 'f32');
    expect(spf).toBe(9);
    expect(1 + P.SAMPLES_HEADER + spf * 6 * 4 + P.CRC_BYTES).toBeLessThanOrEqual(P.MAX_FRAME);
    expect(() => encode(samplesFrame(1, 0, new Float32Array(60), 6, 0, spf, 'f32'))).not.toThrow();
    expect(() => encode(samplesFrame(1, 0, new Float32Array(60), 6, 0, spf + 1, 'f32'))).toThrow();
    // int16, 4 samples per frame, 25 frames/s: COBS adds <= 2 bytes, plus the delimiter.
    const frameBytes = 1 + P.SAMPLES_HEADER + 4 * 6 * 2 + P.CRC_BYTES + 2 + 1;
    const bytesPerSecond = frameBytes * 25;
    expect(bytesPerSecond * 10).toBeLessThan(115200 * 0.2); // 8N1: 10 bits per byte
  });

  it('parses device frames and rejects malformed ones as unknown', () => {
    const ack = new Uint8Array(12);
    ack[0] = P.T_ACK;
    ack[1] = P.ACK_GAP;
    P.putU16(ack, 2, 9);
    P.putU32(ack, 4, 1000);
    P.putU32(ack, 8, 1200);
    expect(parseDeviceFrame(ack, 12)).toEqual({ type: 'ack', gap: true, stream: 9, nextSeq: 1000, limit: 1200 });
    expect(parseDeviceFrame(ack, 11).type).toBe('unknown');
    const pred = new Uint8Array(18 + 8);
    pred[0] = P.T_PREDICTION;
    pred[17] = 2;
    P.putU32(pred, 18, -5 >>> 0);
    P.putU32(pred, 22, 7);
    const m = parseDeviceFrame(pred, pred.length);
    expect(m.type === 'prediction' && Array.from(m.logits)).toEqual([-5, 7]);
    expect(parseDeviceFrame(pred, pred.length - 1).type).toBe('unknown');
  });
});
