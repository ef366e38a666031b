import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../host/format/crc32.ts';
import { FORMAT_HEADER_PATH, parseFormatDefines, TBN } from '../../host/format/spec.ts';

describe('spec constants from tbn_format.h', () => {
  it('parses decimal, hex and u-suffixed defines and rejects duplicates', () => {
    const m = parseFormatDefines('#define TBN_A 12u\n  #define TBN_B 0x1Fu /* c */\n#define OTHER 3\n#define TBN_C 7\n');
    expect([...m.entries()]).toEqual([['TBN_A', 12], ['TBN_B', 31], ['TBN_C', 7]]);
    expect(() => parseFormatDefines('#define TBN_A 1\n#define TBN_A 2\n')).toThrow(/twice/);
  });

  it('reads every define of the header, with the values the header states', () => {
    const all = parseFormatDefines(readFileSync(FORMAT_HEADER_PATH, 'utf8'));
    for (const [k, v] of Object.entries(TBN)) expect(all.get(k)).toBe(v);
    // The magic is the bytes "TBN1" read little-endian.
    const b = new TextEncoder().encode('TBN1');
    expect(new DataView(b.buffer).getUint32(0, true)).toBe(TBN.TBN_MAGIC);
    expect(TBN.TBN_LF_ALL).toBe(TBN.TBN_LF_REUSE | TBN.TBN_LF_ROWS | TBN.TBN_LF_T16);
    expect(TBN.TBN_HDR_LAYERS_OFFSET_U32 + 4).toBeLessThanOrEqual(TBN.TBN_HEADER_BYTES);
  });
});

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('equals zlib crc32 on random buffers and ranges', () => {
    const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
    expect(typeof zcrc).toBe('function');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const s = bytes.length ? a % bytes.length : 0;
        const e = bytes.length ? s + (b % (bytes.length - s + 1)) : 0;
        expect(crc32(bytes, s, e)).toBe((zcrc as (b: Uint8Array) => number)(bytes.subarray(s, e)) >>> 0);
      }),
      { numRuns: 200 },
    );
  });
});
