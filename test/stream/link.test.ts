/** issue 16 #4: closing a serial link must not wait forever on a drain the pty never completes. */
import { describe, expect, it } from 'vitest';
import { openPtyPair } from '../../host/sim/pty.ts';
import { openSerialLink } from '../../host/stream/link.ts';

describe('openSerialLink close', () => {
  it('returns within its bound when the other end never reads (drain would wait forever)', async () => {
    const pty = await openPtyPair(); // nobody opens the device end: socat's buffers fill, then ours
    const link = await openSerialLink(pty.hostPath);
    try {
      const junk = new Uint8Array(64 * 1024).fill(0x55);
      for (let i = 0; i < 64; i++) link.write(junk); // 4 MB: far more than the pty buffers hold
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      await link.close();
      expect(Date.now() - t0).toBeLessThan(4000);
    } finally {
      await pty.close();
    }
  }, 20_000);
});
