/**
 * The `tbn` module inside the engines, side by side on this machine: time per
 * tbn.run of the HAR TBN-4 fixture model (f32 and int8 input) and the RAM a
 * model handle takes, in the simulator's module (wasm in Node) and, when
 * TBN_ESPRUINO_BIN / TBN_JERRY_BIN name Linux builds with our module, in
 * Espruino and JerryScript (docs/engines.md). Host timings show the engines'
 * call overhead on top of the same kernel, not MCU speed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packModel } from '../host/format/pack.ts';
import { loadFloatModel } from '../host/train/load-model.ts';
import { loadWasmTbnModule } from '../host/sim/tbn-module.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 300;

interface Row {
  engine: string;
  f32MicrosPerRun: number | null;
  i8MicrosPerRun: number | null;
  handleBytes: number | null;
  scratchBytes: number | null;
  note: string;
}

/** ES5 run in the engines; prints one JSON line. */
function engineScript(modelHex: string): string {
  return `var T = (typeof tbn !== "undefined") ? tbn : require("tbn");
var s = "${modelHex}", u = new Uint8Array(s.length / 2), i = 0, k = 0;
for (i = 0; i < u.length; i++) u[i] = parseInt(s.substr(2 * i, 2), 16);
var mem0 = process.memory().usage, bs = process.memory().blocksize || 1;
var m = T.open(u);
var mem1 = process.memory().usage;
var info = T.info(m), x = new Float32Array(info.inputLen), q = new Int8Array(info.inputLen), lg = new Int32Array(info.classes);
for (i = 0; i < x.length; i++) { x[i] = Math.sin(i); q[i] = (i * 37) % 255 - 127; }
T.run(m, x, lg);
var t0 = getTime(); for (k = 0; k < ${RUNS}; k++) T.run(m, x, lg); var t1 = getTime();
for (k = 0; k < ${RUNS}; k++) T.run(m, q, lg); var t2 = getTime();
console.log("BENCH " + JSON.stringify({ f32: (t1 - t0) / ${RUNS} * 1e6, i8: (t2 - t1) / ${RUNS} * 1e6, handle: (mem1 - mem0) * bs, scratch: info.scratchBytes }));
result = 1;`;
}

function runEngine(name: string, bin: string | undefined, script: string, dir: string): Row {
  if (!bin) return { engine: name, f32MicrosPerRun: null, i8MicrosPerRun: null, handleBytes: null, scratchBytes: null, note: `not measured: set ${name === 'espruino' ? 'TBN_ESPRUINO_BIN' : 'TBN_JERRY_BIN'}` };
  const file = path.join(dir, `${name}.js`);
  writeFileSync(file, script);
  const r = spawnSync(bin, ['--test', file], { cwd: dir, encoding: 'latin1', timeout: 300_000 });
  const line = `${r.stdout}`.split('\n').find((l) => l.includes('BENCH '));
  if (!line) throw new Error(`${name} (${bin}) printed no result: ${r.stdout}${r.stderr}`);
  const v = JSON.parse(line.slice(line.indexOf('BENCH ') + 6)) as { f32: number; i8: number; handle: number; scratch: number };
  return { engine: name, f32MicrosPerRun: v.f32, i8MicrosPerRun: v.i8, handleBytes: v.handle, scratchBytes: v.scratch, note: bin };
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const ckpt = path.join(root, 'test', 'fixtures', 'models', 'har-tbn4.ckpt.json');
  const model = packModel(loadFloatModel(ckpt));
  const rows: Row[] = [];

  const T = await loadWasmTbnModule();
  const h = T.open(model);
  const info = T.info(h);
  const x = new Float32Array(info.inputLen).map((_, i) => Math.sin(i));
  const q = new Int8Array(info.inputLen).map((_, i) => ((i * 37) % 255) - 127);
  const lg = new Int32Array(info.classes);
  T.run(h, x, lg);
  const t0 = performance.now();
  for (let k = 0; k < RUNS; k++) T.run(h, x, lg);
  const t1 = performance.now();
  for (let k = 0; k < RUNS; k++) T.run(h, q, lg);
  const t2 = performance.now();
  rows.push({ engine: 'simulator (wasm)', f32MicrosPerRun: ((t1 - t0) * 1000) / RUNS, i8MicrosPerRun: ((t2 - t1) * 1000) / RUNS, handleBytes: null, scratchBytes: info.scratchBytes, note: 'host/native/tbn-module.ts' });
  T.close(h);

  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-bench-engines-'));
  try {
    const script = engineScript(Buffer.from(model).toString('hex'));
    rows.push(runEngine('espruino', process.env.TBN_ESPRUINO_BIN, script, dir));
    rows.push(runEngine('jerryscript', process.env.TBN_JERRY_BIN, script, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (v: number | null, d = 1) => (v === null ? '-' : v.toFixed(d));
  const lines = [
    `HAR TBN-4 fixture: ${model.length} B, ${RUNS} runs each; handle = engine heap taken by tbn.open (Espruino: JsVar blocks x blocksize; Jerry: heap bytes; the scratch is malloc'd in Jerry)`,
    `${'engine'.padEnd(18)} ${'f32 us/run'.padStart(11)} ${'i8 us/run'.padStart(10)} ${'handle B'.padStart(9)} ${'scratch B'.padStart(10)}  note`,
    ...rows.map((r) => `${r.engine.padEnd(18)} ${f(r.f32MicrosPerRun).padStart(11)} ${f(r.i8MicrosPerRun).padStart(10)} ${f(r.handleBytes, 0).padStart(9)} ${f(r.scratchBytes, 0).padStart(10)}  ${r.note}`),
  ];
  return { title: 'tbn module in the engines (host builds)', text: lines.join('\n'), json: { modelBytes: model.length, runs: RUNS, rows } };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = await run();
  console.log(r.text);
}
