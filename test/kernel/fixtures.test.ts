/**
 * The trained fixtures (test/fixtures/models), packed with packModel, run on
 * the C kernel (native ASan+UBSan and wasm) over their whole test sets, bit
 * for bit equal to the TypeScript integer reference.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../host/data/dataset.ts';
import { loadFashionMnist } from '../../host/data/fashion-mnist.ts';
import { defaultHarRoot, loadSpSwHar } from '../../host/data/sp-sw-har.ts';
import { parseSubjects } from '../../host/data/subjects.ts';
import { packModel } from '../../host/format/pack.ts';
import { readModel } from '../../host/format/reader.ts';
import { WasmKernel } from '../../host/native/wasm-kernel.ts';
import { runReference } from '../../host/reference/infer.ts';
import { loadCheckpoint } from '../../host/train/checkpoint.ts';
import { exportFloatModel } from '../../host/train/export.ts';
import { artifact, repoRoot, runNativeBatch } from './harness.ts';

const FIXTURES = join(repoRoot, 'test/fixtures/models');

function packedFixture(name: string): Uint8Array {
  const file = join(FIXTURES, name);
  if (!existsSync(file)) throw new Error(`fixture ${file} is missing`);
  return packModel(exportFloatModel(loadCheckpoint(file), file));
}

function harTest(): Dataset {
  const root = defaultHarRoot();
  if (!root) throw new Error('sp-sw-har not found beside the repo (../shared/data/sp-sw-har)');
  return loadSpSwHar({ root, subjects: parseSubjects('s15-s18') });
}

function inputsOf(d: Dataset): Float32Array[] {
  const n = d.shape[0] * d.shape[1] * d.shape[2];
  return Array.from({ length: d.count }, (_, i) => d.x.subarray(i * n, (i + 1) * n));
}

const CASES: { name: string; fixture: string; data: () => Dataset }[] = [
  { name: 'HAR CNN, binary activations', fixture: 'har-tbn4.ckpt.json', data: harTest },
  { name: 'HAR CNN, weight-only (ReLU int8)', fixture: 'har-tbn4-relu.ckpt.json', data: harTest },
  { name: 'Fashion-MNIST MLP', fixture: 'fmnist-tbn4.ckpt.json', data: () => loadFashionMnist({ split: 'test' }) },
];

describe('trained fixtures over their whole test sets: C kernel = reference', () => {
  for (const c of CASES) {
    it(c.name, () => {
      artifact('tbn_cli_asan');
      const bytes = packedFixture(c.fixture);
      const model = readModel(bytes);
      const data = c.data();
      const inputs = inputsOf(data);
      expect(inputs.length).toBeGreaterThan(200);
      const expected = inputs.map((x) => runReference(model, x));

      const native = runNativeBatch([{ model: bytes, inputs }])[0];
      expect(native?.status).toBe(0);
      const kernel = WasmKernel.load();
      const m = kernel.open(bytes);
      const logits = new Int32Array(model.classes.length);
      let mismatches = 0;
      let correct = 0;
      expected.forEach((ref, i) => {
        const n = native?.outputs[i];
        const cls = m.run(inputs[i] as Float32Array, logits);
        const want = Array.from(ref.logits).join();
        if (!n || n.cls !== ref.cls || n.logits.join() !== want) mismatches++;
        if (cls !== ref.cls || Array.from(logits).join() !== want) mismatches++;
        if (ref.cls === data.y[i]) correct++;
      });
      m.close();
      expect(mismatches).toBe(0);
      // A trained model, not noise: well above chance on its own test set.
      expect(correct / inputs.length).toBeGreaterThan(1.5 / model.classes.length);
      console.log(`${c.name}: ${inputs.length} test inputs, kernel = reference on all, integer accuracy ${(correct / inputs.length * 100).toFixed(1)}%`);
    }, 300_000);
  }
});
