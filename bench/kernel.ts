/**
 * Kernel benchmark (issue 4):
 *   1. inferences/s of the wasm kernel (build/native/tbn.wasm) against the
 *      TypeScript integer reference, same inputs, same run (HAR and
 *      Fashion-MNIST fixtures);
 *   2. instructions per inference of the native -O2 build (valgrind
 *      callgrind, deterministic), per layer via tbn_run_ex's layer hook, for
 *      the HAR model as packed (TBN-p, reuse on), with reuse off, and the
 *      same model repacked as a plain BNN (p = 1, host/native/repack.ts:
 *      identical integers), with the ratio TBN-p layer / BNN layer against
 *      the goal 1/p + compare overhead.
 * Needs `bash native-modules/build.sh` and valgrind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Dataset } from '../host/data/dataset.ts';
import { loadFashionMnist } from '../host/data/fashion-mnist.ts';
import { defaultHarRoot, loadSpSwHar } from '../host/data/sp-sw-har.ts';
import { parseSubjects } from '../host/data/subjects.ts';
import { layerMacs } from '../host/format/layout.ts';
import type { PackedModel } from '../host/format/model.ts';
import { packModel } from '../host/format/pack.ts';
import { readModel } from '../host/format/reader.ts';
import { writeModel } from '../host/format/writer.ts';
import { asBnn } from '../host/native/repack.ts';
import { WasmKernel } from '../host/native/wasm-kernel.ts';
import { runReference } from '../host/reference/infer.ts';
import { loadCheckpoint } from '../host/train/checkpoint.ts';
import { exportFloatModel } from '../host/train/export.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NATIVE = join(ROOT, 'build/native');

function fixture(name: string): Uint8Array {
  const file = join(ROOT, 'test/fixtures/models', name);
  return packModel(exportFloatModel(loadCheckpoint(file), file));
}

function windows(d: Dataset, max: number): Float32Array[] {
  const n = d.shape[0] * d.shape[1] * d.shape[2];
  return Array.from({ length: Math.min(max, d.count) }, (_, i) => d.x.slice(i * n, (i + 1) * n));
}

/** Inferences per second of fn over the inputs, cycling for at least `ms`. */
function rate(inputs: Float32Array[], fn: (x: Float32Array) => number, ms: number): number {
  for (let i = 0; i < Math.min(20, inputs.length); i++) fn(inputs[i] as Float32Array); // warm-up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 16; k++) fn(inputs[n++ % inputs.length] as Float32Array);
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

interface Profile {
  /** Instructions of one tbn_run_ex call (quantisation and argmax included). */
  total: number;
  perLayer: number[];
}

/** callgrind counts of the native -O2 harness for one inference. */
function profile(model: Uint8Array, input: Float32Array, reuse: boolean, layers: number): Profile {
  const cli = join(NATIVE, 'tbn_cli');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`bash native-modules/build.sh\``);
  const dir = mkdtempSync(join(tmpdir(), 'tbn-cg-'));
  try {
    writeFileSync(join(dir, 'm.tbn'), model);
    writeFileSync(join(dir, 'x.f32'), new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    const args = ['profile', join(dir, 'm.tbn'), join(dir, 'x.f32'), ...(reuse ? [] : ['--no-reuse'])];
    const repeat = 5;
    // Whole call, averaged over `repeat` runs.
    const whole = spawnSync('valgrind', ['--tool=callgrind', '--toggle-collect=tbn_run_ex', `--callgrind-out-file=${dir}/whole.out`, join(NATIVE, 'tbn_cli'), ...args, '--repeat', String(repeat)], { encoding: 'utf8' });
    if (whole.status !== 0) throw new Error(`valgrind failed: ${whole.stderr.slice(-500)}`);
    const total = Number(/^totals:\s*(\d+)/m.exec(readFileSync(join(dir, 'whole.out'), 'utf8'))?.[1]) / repeat;
    // Per layer: callgrind dumps its counters when the layer hook is entered.
    const per = spawnSync('valgrind', ['--tool=callgrind', '--dump-before=tbn_cli_layer_mark', `--callgrind-out-file=${dir}/layer.out`, join(NATIVE, 'tbn_cli'), ...args], { encoding: 'utf8' });
    if (per.status !== 0) throw new Error(`valgrind failed: ${per.stderr.slice(-500)}`);
    const dumps = readdirSync(dir).filter((f) => /^layer\.out\.\d+$/.test(f)).sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
    const counts = dumps.map((f) => Number(/^totals:\s*(\d+)/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1]));
    // dump 1 = everything before layer 0; dump k+2 = layer k.
    const perLayer = counts.slice(1, 1 + layers);
    if (perLayer.length !== layers) throw new Error(`callgrind gave ${perLayer.length} layer dumps for ${layers} layers`);
    return { total, perLayer };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (v: number, digits = 0): string => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function layerName(m: PackedModel, i: number): string {
  const l = m.layers[i]!;
  return `${i} ${l.kind} ${l.inType}->${l.outType}${l.p > 1 ? ` p=${l.p}` : ''}`;
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const lines: string[] = [];
  const json: Record<string, unknown> = {};
  const kernel = WasmKernel.load();

  // 1. wasm vs TypeScript reference, inferences per second.
  const harRoot = defaultHarRoot();
  const models: { name: string; bytes: Uint8Array; inputs: Float32Array[] }[] = [];
  const har = fixture('har-tbn4.ckpt.json');
  if (!harRoot) throw new Error('sp-sw-har not found beside the repo (../shared/data/sp-sw-har)');
  models.push({ name: 'HAR CNN (har-tbn4)', bytes: har, inputs: windows(loadSpSwHar({ root: harRoot, subjects: parseSubjects('s15-s18') }), 200) });
  models.push({ name: 'Fashion-MNIST MLP (fmnist-tbn4)', bytes: fixture('fmnist-tbn4.ckpt.json'), inputs: windows(loadFashionMnist({ split: 'test', limit: 200 }), 200) });
  const speed: unknown[] = [];
  lines.push('Inferences per second in Node (same inputs, same run):');
  lines.push(`  ${'model'.padEnd(32)} ${'wasm kernel'.padStart(12)} ${'TS reference'.padStart(13)} ${'wasm/TS'.padStart(8)}`);
  for (const m of models) {
    const packed = readModel(m.bytes);
    const km = kernel.open(m.bytes);
    // Same answers first: a benchmark of a wrong kernel is worthless.
    for (const x of m.inputs.slice(0, 20)) {
      if (km.run(x) !== runReference(packed, x).cls) throw new Error(`${m.name}: wasm and reference disagree`);
    }
    const wasm = rate(m.inputs, (x) => km.run(x), 1500);
    const ts = rate(m.inputs, (x) => runReference(packed, x).cls, 1500);
    km.close();
    speed.push({ model: m.name, wasmPerSecond: wasm, referencePerSecond: ts, ratio: wasm / ts });
    lines.push(`  ${m.name.padEnd(32)} ${fmt(wasm).padStart(12)} ${fmt(ts).padStart(13)} ${`${fmt(wasm / ts, 1)}x`.padStart(8)}`);
  }
  json.inferencesPerSecond = speed;

  // 2. callgrind instruction counts, TBN-p (reuse on/off) vs the same model as BNN.
  const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;
  if (!hasValgrind) throw new Error('valgrind is not installed (apt-get install valgrind)');
  const tbn = readModel(har);
  const bnnBytes = writeModel(asBnn(tbn));
  const bnn = readModel(bnnBytes);
  const x = models[0]!.inputs[0]!;
  if (runReference(bnn, x).logits.join() !== runReference(tbn, x).logits.join()) throw new Error('BNN repack changed the logits');
  const L = tbn.layers.length;
  const variants = {
    'TBN-p reuse': profile(har, x, true, L),
    'TBN-p no reuse': profile(har, x, false, L),
    'BNN (p=1)': profile(bnnBytes, x, true, L),
  };
  const macs = tbn.layers.reduce((s, l) => s + layerMacs(l).macs, 0);
  const version = execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  lines.push('');
  lines.push(`Native -O2 x86-64 instructions per inference (${version} callgrind, exact), HAR CNN, ${fmt(macs)} MACs; BNN = same model repacked p=1 (identical logits):`);
  for (const [name, p] of Object.entries(variants)) {
    lines.push(`  ${name.padEnd(15)} ${fmt(p.total).padStart(11)} instr  ${fmt(p.total / macs, 3)} instr/MAC`);
  }
  lines.push('');
  lines.push('Per layer (instructions):');
  lines.push(`  ${'layer'.padEnd(26)} ${'MACs'.padStart(10)} ${'TBN reuse'.padStart(11)} ${'no reuse'.padStart(11)} ${'BNN p=1'.padStart(11)} ${'TBN/BNN'.padStart(8)} ${'1/p'.padStart(6)} ${'compare ovh/out'.padStart(16)} ${'XNOR instr/MAC (BNN)'.padStart(21)}`);
  const perLayer: unknown[] = [];
  tbn.layers.forEach((l, i) => {
    const r = variants['TBN-p reuse'].perLayer[i]!;
    const nr = variants['TBN-p no reuse'].perLayer[i]!;
    const b = variants['BNN (p=1)'].perLayer[i]!;
    const lm = layerMacs(l).macs;
    const outputs = l.outShape[0] * l.outShape[1] * l.outShape[2];
    const weight = l.p > 0;
    // TBN-p layer = BNN/p (the shared dot products) + what the p-fold compares cost beyond that.
    const overheadPerOutput = weight ? (r - b / l.p) / outputs : NaN;
    const xnor = weight && l.inType === 'bin' ? b / lm : NaN;
    perLayer.push({ layer: i, kind: l.kind, inType: l.inType, outType: l.outType, p: l.p, macs: lm, tbnReuse: r, tbnNoReuse: nr, bnn: b, ratio: r / b, invP: weight ? 1 / l.p : null, compareOverheadPerOutput: weight ? overheadPerOutput : null, xnorInstrPerMacBnn: Number.isNaN(xnor) ? null : xnor });
    lines.push(`  ${layerName(tbn, i).padEnd(26)} ${fmt(lm).padStart(10)} ${fmt(r).padStart(11)} ${fmt(nr).padStart(11)} ${fmt(b).padStart(11)} ${fmt(r / b, 3).padStart(8)} ${(weight ? fmt(1 / l.p, 3) : '-').padStart(6)} ${(weight ? fmt(overheadPerOutput, 1) : '-').padStart(16)} ${(Number.isNaN(xnor) ? '-' : fmt(xnor, 3)).padStart(21)}`);
  });
  const tiled = tbn.layers.filter((l) => l.p > 1).map((l) => l.index);
  const sum = (v: number[]) => tiled.reduce((s, i) => s + v[i]!, 0);
  const tiledRatio = sum(variants['TBN-p reuse'].perLayer) / sum(variants['BNN (p=1)'].perLayer);
  const p = Math.max(...tbn.layers.map((l) => l.p));
  lines.push('');
  lines.push(`Goal "TBN-p layer <= 1/p of the BNN layer + compare overhead": tiled layers together cost ${fmt(tiledRatio, 3)} of BNN (1/p = ${fmt(1 / p, 3)}); ` +
    'the rest is the per-output threshold compare (column "compare ovh/out"), which every channel still needs; with reuse the p compares of a shared accumulator go four at a time.');
  json.callgrind = { valgrind: version, macs, variants, perLayer, tiledLayersReuseVsBnn: tiledRatio, p };

  // The other fixtures, whole inference only.
  const others = [
    { name: 'HAR CNN weight-only (har-tbn4-relu)', bytes: fixture('har-tbn4-relu.ckpt.json'), input: x },
    { name: 'Fashion-MNIST MLP (fmnist-tbn4)', bytes: models[1]!.bytes, input: models[1]!.inputs[0]! },
  ];
  lines.push('');
  lines.push('Other fixtures, native -O2 instructions per inference:');
  lines.push(`  ${'model'.padEnd(36)} ${'MACs'.padStart(10)} ${'TBN reuse'.padStart(11)} ${'no reuse'.padStart(11)} ${'BNN p=1'.padStart(11)} ${'TBN/BNN'.padStart(8)}`);
  const otherJson: unknown[] = [];
  for (const o of others) {
    const m = readModel(o.bytes);
    const b = writeModel(asBnn(m));
    const n = m.layers.length;
    const r = profile(o.bytes, o.input, true, n).total;
    const nr = profile(o.bytes, o.input, false, n).total;
    const bn = profile(b, o.input, true, n).total;
    const mm = m.layers.reduce((sum, l) => sum + layerMacs(l).macs, 0);
    otherJson.push({ model: o.name, macs: mm, tbnReuse: r, tbnNoReuse: nr, bnn: bn });
    lines.push(`  ${o.name.padEnd(36)} ${fmt(mm).padStart(10)} ${fmt(r).padStart(11)} ${fmt(nr).padStart(11)} ${fmt(bn).padStart(11)} ${fmt(r / bn, 3).padStart(8)}`);
  }
  json.otherFixtures = otherJson;
  return { title: 'kernel: wasm vs TS reference, native instruction counts, TBN-p vs BNN', text: lines.join('\n'), json };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(r.text);
}
