/**
 * Packed-format bench: for each trained fixture, the .tbn size against the same
 * network at FP32, int8 and as a BNN (p = 1), and the TypeScript integer
 * reference's speed with and without p-fold reuse, measured side by side.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packModel } from '../host/format/pack.ts';
import { readModel } from '../host/format/reader.ts';
import { randomInput } from '../host/format/random-model.ts';
import { loadFloatModel } from '../host/train/load-model.ts';
import { summarizeModel } from '../host/format/summary.ts';
import { runReference } from '../host/reference/infer.ts';

const MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/models');
const FIXTURES = ['har-tbn4.ckpt.json', 'har-tbn4-relu.ckpt.json', 'fmnist-tbn4.ckpt.json'];

function perSecond(fn: () => void, minMs = 1500): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const rows: Record<string, number | string>[] = [];
  for (const file of FIXTURES) {
    const fm = loadFloatModel(path.join(MODELS, file));
    const t0 = performance.now();
    const bytes = packModel(fm);
    const packMs = performance.now() - t0;
    const m = readModel(bytes);
    const s = summarizeModel(m).totals;
    const inputs = Array.from({ length: 16 }, (_, i) => randomInput(i, m, 'f32'));
    let k = 0;
    const withReuse = perSecond(() => runReference(m, inputs[k++ % inputs.length] as Float32Array));
    const withoutReuse = perSecond(() => runReference(m, inputs[k++ % inputs.length] as Float32Array, { reuse: false }));
    rows.push({
      model: file.replace('.ckpt.json', ''),
      fileBytes: m.fileBytes,
      fp32Bytes: s.fp32Bytes,
      fp32OverFile: s.fp32OverFile,
      int8OverFile: s.int8OverFile,
      bnnOverFile: s.bnnOverFile,
      bnnFileBytes: s.bnnFileBytes,
      tiledRatioToBnn: s.tiledRatioToBnn,
      scratchBytes: m.scratchBytes,
      macs: s.macs,
      macsWithReuse: s.macsWithReuse,
      packMs,
      refPerSecReuse: withReuse,
      refPerSecNoReuse: withoutReuse,
    });
  }
  const head = ['model', 'file B', 'FP32/file', 'int8/file', 'BNN file B', 'BNN/file', 'tiles vs BNN', 'scratch B', 'MACs', 'MACs reuse', 'pack ms', 'ref inf/s reuse', 'no reuse', 'speed-up'];
  const table = [head, ...rows.map((r) => [
    String(r.model), String(r.fileBytes), `${(r.fp32OverFile as number).toFixed(1)}x`, `${(r.int8OverFile as number).toFixed(1)}x`, String(r.bnnFileBytes), `${(r.bnnOverFile as number).toFixed(1)}x`,
    `${(100 * (r.tiledRatioToBnn as number)).toFixed(1)}%`, String(r.scratchBytes), String(r.macs), String(r.macsWithReuse), (r.packMs as number).toFixed(0),
    (r.refPerSecReuse as number).toFixed(0), (r.refPerSecNoReuse as number).toFixed(0), `${((r.refPerSecReuse as number) / (r.refPerSecNoReuse as number)).toFixed(2)}x`,
  ])];
  const widths = head.map((_, c) => Math.max(...table.map((r) => (r[c] as string).length)));
  const text = table.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c] as number) : v.padStart(widths[c] as number))).join('  ')).join('\n');
  return { title: '.tbn size and TypeScript reference speed (fixtures; reuse vs no reuse in the same run)', text, json: rows };
}
