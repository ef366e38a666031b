import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDemo, runDemo } from '../../host/demo/run-demo.ts';

describe('tbn demo', () => {
  it('trains, packs, bundles, simulates and streams, bit-exact end to end (synthetic data, 1 epoch)', async () => {
    const steps: string[] = [];
    const r = await runDemo({ synthetic: true, epochs: 1, outDir: mkdtempSync(path.join(tmpdir(), 'tbn-demo-')), onStep: (m) => steps.push(m) });
    expect(steps[0]).toMatch(/SYNTHETIC/);
    expect(r.data).toBe('synthetic');
    expect(r.windows).toBeGreaterThan(100);
    expect(r.bitExact).toBe(r.windows);
    expect(r.deviceAccuracy).toBe(r.referenceAccuracy);
    expect(r.report.predictions).toBe(r.report.expected);
    expect(r.modelBytes).toBeGreaterThan(500);
    expect(formatDemo(r)).toMatch(/SYNTHETIC motion/);
  }, 120_000);
});
