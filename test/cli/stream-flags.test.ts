/** tbn stream: a --samples-per-frame that does not fit one frame is refused with the limit, never shrunk silently. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoard } from '../../host/boards.ts';
import { main } from '../../host/cli.ts';
import { maxSamplesPerFrame } from '../../host/protocol/frames.ts';
import { startPtySimulator } from '../../host/sim/serve.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { harShapedModel } from '../sim/har-model.ts';
import { captureIO } from './cli-io.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-stream-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = path.join(dir, 'rec.csv');
writeFileSync(csv, ['ax,ay,az,gx,gy,gz,label', ...Array.from({ length: 300 }, (_, i) => `${i % 7},${i % 5},9.8,0.1,0.2,-0.2,WALKING`)].join('\n'));

describe('tbn stream --samples-per-frame', () => {
  it('refuses a value one frame cannot hold, naming the flag and the limit; the largest that fits streams', async () => {
    const f32Max = maxSamplesPerFrame(6, 'f32');
    const i16Max = maxSamplesPerFrame(6, 'i16');
    expect(i16Max).toBeGreaterThan(f32Max);
    const ps = await startPtySimulator({ board: loadBoard('stm32f405'), bundle: readBundle(), model: harShapedModel(3), tbn: await loadWasmTbnModule() });
    try {
      const bad = captureIO();
      expect(await main(['stream', '--port', ps.hostPath, '--recording', csv, '--json', '--samples-per-frame', String(f32Max + 1)], bad)).toBe(1);
      expect(bad.stderr.join('\n')).toContain(`--samples-per-frame ${f32Max + 1}: one frame holds 1 to ${f32Max} samples of 6 f32 channels`);
      expect(bad.stdout).toEqual([]);
      const good = captureIO();
      const code = await main(['stream', '--port', ps.hostPath, '--recording', csv, '--json', '--int16', '--samples-per-frame', String(i16Max)], good);
      expect(code, good.stderr.join('\n')).toBe(0);
      expect(JSON.parse(good.stdout[0] as string).deviceCounters.samples).toBe(300);
    } finally {
      await ps.close();
    }
  }, 60_000);
});
