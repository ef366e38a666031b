/**
 * Board benchmark: the trained HAR network on the three emulated cores
 * (Cortex-M4F, RV32IMC, Xtensa lx106), as
 *   - TBN-p with reuse (the packed model as is),
 *   - TBN-p without reuse (tbn_run_ex reuse = 0),
 *   - BNN (p = 1: the same model repacked with every channel's row expanded, same integers),
 *   - a straightforward int8 kernel and a float32 kernel for the same shapes (boards/bench/har_baselines.c:
 *     our own naive reference kernels, not a peer),
 *   - the peer, ARM's CMSIS-NN int8 kernels on the same network (boards/bench/cmsis_har.c), when CMSIS_NN_DIR
 *     names a checkout (compiled under build/, never committed; Cortex-M4 and RV32IMC: the lx106 libgcc lacks the
 *     64-bit multiply and division helpers CMSIS-NN needs),
 * with exact instruction counts per inference and per layer from our QEMU TCG
 * plugin, instructions per MAC, flash and RAM, and ratios against BNN and int8.
 * Also the kernel's footprint per target at -Os and -O2.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadBoard } from '../host/boards.ts';
import { layerMacs } from '../host/format/layout.ts';
import { packModel } from '../host/format/pack.ts';
import { readModel } from '../host/format/reader.ts';
import { writeModel } from '../host/format/writer.ts';
import { asBnn } from '../host/native/repack.ts';
import { cmsisWeights, f32Weights, int8Weights } from '../test/boards/baselines.ts';
import { loadFashionMnist } from '../host/data/fashion-mnist.ts';
import { loadCheckpoint } from '../host/train/checkpoint.ts';
import { exportFloatModel } from '../host/train/export.ts';
import type { FloatModel, WeightLayer } from '../host/model/float-model.ts';
import { runReference } from '../host/reference/infer.ts';
import { int16InputParams, quantizeInput } from '../host/reference/quantize.ts';
import { runReferenceInt16 } from '../host/reference/infer.ts';
import { modelChannels } from '../host/sensors/model-sensor.ts';
import { DEFAULT_RANGES, mapChannels } from '../host/sensors/spec.ts';
import { MAX_PAYLOAD, RAW_HEADER } from '../device/protocol.ts';
import { type KernelFootprint, kernelFootprint } from '../test/boards/footprint.ts';
import { harFloatModel, harTestWindows, wideXnorModel } from '../test/boards/models.ts';
import { kernelObjects } from '../test/boards/footprint.ts';
import { BOARDS_BUILD, EMULATED_BOARDS, type EmulatedBoard, functionSymbols, type Job, REPO_ROOT, runJobs, TOOLS } from '../test/boards/qemu.ts';

const WINDOWS = 4;
/** Cores the CMSIS-NN peer builds for (the lx106 libgcc lacks its 64-bit multiply and division helpers). */
const CMSIS_BOARDS: EmulatedBoard[] = ['stm32f405', 'esp32c3'];
const FMNIST_CHECKPOINT = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'fmnist-tbn4.ckpt.json');
const OPT = 'O2' as const;

type RowName = 'TBN-p reuse' | 'TBN-p no reuse' | 'BNN (p=1)' | 'int8 (own naive)' | 'float32 (own naive)' | 'TBN-p reuse, TBN_SMALL -Os';

interface Row {
  board: EmulatedBoard;
  row: RowName;
  instructions: number;
  perLayer: number[];
  macs: number;
  instrPerMac: number;
  /** Instructions per binary MAC over the XNOR layers (BIN input), binary rows only. */
  xnorInstrPerMac: number | null;
  flashBytes: number;
  ramBytes: number;
  vsBnn: number;
  vsInt8: number;
}

/** text + rodata of the symbols of one baseline in har_baselines.o. */
function baselineCodeBytes(board: EmulatedBoard, which: 'int8' | 'f32'): number {
  const obj = path.join(BOARDS_BUILD, board, OPT, 'bench', 'har_baselines.o');
  const out = execFileSync(`${TOOLS[board].prefix}nm`, ['-S', obj], { encoding: 'utf8' });
  let bytes = 0;
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 4 || !/^[tTrR]$/.test(f[2]!)) continue;
    const name = f[3]!;
    const mine = which === 'int8' ? /i8|int8/.test(name) : /f32/.test(name);
    if (mine) bytes += Number.parseInt(f[1]!, 16);
  }
  return bytes;
}

/** Instructions per inference by source line (addr2line over the per-instruction profile), hottest first. */
function sourceLineProfile(board: EmulatedBoard, elf: string, profile: Map<number, number>, runs: number): Array<{ line: string; source: string; instructions: number }> {
  const pcs = [...profile.keys()];
  if (pcs.length === 0) return [];
  const out = execFileSync(`${TOOLS[board].prefix}addr2line`, ['-e', elf, ...pcs.map((pc) => `0x${pc.toString(16)}`)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const byLine = new Map<string, number>();
  out.trim().split('\n').forEach((loc, i) => {
    const key = loc.replace(/ \(discriminator \d+\)$/, '');
    byLine.set(key, (byLine.get(key) ?? 0) + profile.get(pcs[i]!)!);
  });
  const files = new Map<string, string[]>();
  return [...byLine.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([loc, n]) => {
      const m = /^(.*):(\d+)$/.exec(loc);
      let source = '';
      if (m && existsSync(m[1]!)) {
        if (!files.has(m[1]!)) files.set(m[1]!, readFileSync(m[1]!, 'utf8').split('\n'));
        source = (files.get(m[1]!)![Number(m[2]) - 1] ?? '').trim();
      }
      return { line: m ? `${path.relative(REPO_ROOT, m[1]!)}:${m[2]}` : loc, source, instructions: n / runs };
    });
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const fm = harFloatModel();
  const data = harTestWindows();
  const len = data.shape[0] * data.shape[1] * data.shape[2];
  const windows = data.x.slice(0, WINDOWS * len);

  const tbnBytes = packModel(fm);
  const tbn = readModel(tbnBytes);
  const bnnBytes = writeModel(asBnn(tbn));
  const bnn = readModel(bnnBytes);
  const int8Blob = int8Weights(fm);
  const f32Blob = f32Weights(fm);
  const int8Inputs = new Int8Array(WINDOWS * len);
  for (let w = 0; w < WINDOWS; w++) int8Inputs.set(quantizeInput(windows.subarray(w * len, (w + 1) * len), tbn.quantMul, tbn.quantAdd), w * len);


  // The same windows as MPU-6050 counts at the default ranges (what the device reads), and the int16 input triples
  // `tbn build --sensor mpu6050` derives for them: the int16 path (TBN_INPUT_I16) has no float pass.
  // sp-sw-har is in m/s2 and rad/s (the fixture checkpoint stores channel names without units)
  const harUnits = Object.fromEntries((tbn.channels ?? []).map((c) => [c.name, c.name.endsWith('_acc') ? 'm/s2' : 'rad/s']));
  const sensorScales = mapChannels('mpu6050', modelChannels(tbn, 'the HAR model', harUnits), DEFAULT_RANGES).map((c) => c.scale);
  const q = tbn.quantMul.length;
  const i16Inputs = Int16Array.from(windows, (x, i) => Math.max(-32768, Math.min(32767, Math.round(x / sensorScales[i % q]!))));
  const i16Params = int16InputParams(tbn.quantMul, tbn.quantAdd, sensorScales);
  const i16Rows: Array<{ board: EmulatedBoard; total: number; layers: number; outsidePerElement: number; convertPerElement: number; outsideI8PerElement: number; outsideF32PerElement: number; totalF32: number; totalI8: number; agreeWithFloat: number }> = [];

  const macsNominal = tbn.layers.reduce((s, l) => s + layerMacs(l).macs, 0);
  const macsReuse = tbn.layers.reduce((s, l) => s + layerMacs(l).macsWithReuse, 0);
  const xnorLayers = tbn.layers.filter((l) => l.inType === 'bin' && (l.kind === 'conv1d' || l.kind === 'conv2d' || l.kind === 'dense')).map((l) => l.index);
  const xnorMacs = xnorLayers.reduce((s, i) => s + layerMacs(tbn.layers[i]!).macs, 0);

  const footprints: KernelFootprint[] = [];
  for (const b of EMULATED_BOARDS) for (const o of ['Os', 'O2', 'Os-small'] as const) footprints.push(kernelFootprint(b, o));

  const rows: Row[] = [];
  const layerNames = tbn.layers.map((l) => `${l.kind}${l.p > 1 ? `/p${l.p}` : ''}`);
  for (const board of EMULATED_BOARDS) {
    const jobs: Job[] = [
      { model: tbnBytes, inputs: windows, inputLen: len, reuse: true },
      { model: tbnBytes, inputs: windows, inputLen: len, reuse: false },
      { model: bnnBytes, inputs: windows, inputLen: len, reuse: true },
      { model: int8Blob, inputs: int8Inputs, inputLen: len, kernel: 'int8' },
      { model: f32Blob, inputs: windows, inputLen: len, kernel: 'f32' },
    ];
    const obj = path.join(BOARDS_BUILD, board, OPT, 'bench', 'har_baselines.o');
    const out = runJobs(board, jobs, { count: true, opt: OPT, extraObjects: [obj] });
    out.jobs.forEach((j, k) => {
      if (j.openStatus !== 0 || j.windows.some((w) => w.status !== 0)) throw new Error(`${board}: bench job ${k} failed: ${JSON.stringify(j).slice(0, 300)}`);
    });
    // The three binary rows must all give the reference's integers (the BNN repack computes the same function).
    out.jobs[0]!.windows.forEach((w, i) => {
      const r = Array.from(runReference(tbn, windows.subarray(i * len, (i + 1) * len)).logits).join();
      for (const k of [0, 1, 2]) {
        if (out.jobs[k]!.windows[i]!.logits.join() !== r) throw new Error(`${board}: job ${k} logits differ from the reference in window ${i}`);
      }
      void w;
    });
    const fp = footprints.find((f) => f.board === board && f.opt === OPT)!;
    const kernelCode = fp.text + fp.rodata;
    const counts = out.counts!;
    const names: RowName[] = ['TBN-p reuse', 'TBN-p no reuse', 'BNN (p=1)', 'int8 (own naive)', 'float32 (own naive)'];
    const flash = [kernelCode + tbnBytes.length, kernelCode + tbnBytes.length, kernelCode + bnnBytes.length,
      baselineCodeBytes(board, 'int8') + int8Blob.length, baselineCodeBytes(board, 'f32') + f32Blob.length];
    const actMax = 120 * 64;
    const ram = [tbn.scratchBytes + fp.stackBytes, tbn.scratchBytes + fp.stackBytes, bnn.scratchBytes + fp.stackBytes, 2 * actMax, 8 * actMax];
    names.forEach((row, k) => {
      const per = counts[k]!;
      const instructions = mean(per.map((c) => c.total));
      const perLayer = per[0]!.layers.map((_, li) => mean(per.map((c) => c.layers[li]!)));
      const binary = k < 3;
      const xnor = binary ? xnorLayers.reduce((s, i) => s + perLayer[i]!, 0) / xnorMacs : null;
      rows.push({ board, row, instructions, perLayer, macs: macsNominal, instrPerMac: instructions / macsNominal, xnorInstrPerMac: xnor,
        flashBytes: flash[k]!, ramBytes: ram[k]!, vsBnn: 0, vsInt8: 0 });
    });
    // The size-first kernel (-DTBN_SMALL, -Os) on the same windows.
    const small = runJobs(board, [{ model: tbnBytes, inputs: windows, inputLen: len, reuse: true }], { count: true, opt: 'Os-small' });
    small.jobs[0]!.windows.forEach((w, i) => {
      if (w.status !== 0 || w.logits.join() !== out.jobs[0]!.windows[i]!.logits.join()) throw new Error(`${board}: TBN_SMALL logits differ in window ${i}`);
    });
    // int16 counts vs int8 input (no conversion) on the same model: the conversion's own cost, exactly (quantise_i16).
    const i16Fns = [...new Set(kernelObjects(board, OPT).flatMap((o) => [...functionSymbols(board, o).keys()]))].filter((f) => /^quantise_i16/.test(f));
    if (i16Fns.length !== 1) throw new Error(`${board}: expected one quantise_i16 function in the kernel objects, found ${i16Fns.join(', ') || 'none'}`);
    const i16Out = runJobs(board, [
      { model: tbnBytes, inputs: i16Inputs, inputLen: len, params: i16Params, reuse: true },
      { model: tbnBytes, inputs: int8Inputs, inputLen: len, reuse: true },
    ], { count: true, opt: OPT, functions: i16Fns });
    let agree = 0;
    i16Out.jobs[0]!.windows.forEach((w, i) => {
      const ref = runReferenceInt16(tbn, i16Inputs.subarray(i * len, (i + 1) * len), i16Params);
      if (w.status !== 0 || w.logits.join() !== Array.from(ref.logits).join()) throw new Error(`${board}: int16-input logits differ from the reference in window ${i}`);
      if (w.cls === out.jobs[0]!.windows[i]!.cls) agree++;
    });
    const outsidePer = (c: { total: number; layers: number[] }[]) => mean(c.map((x) => x.total - x.layers.reduce((a, v) => a + v, 0))) / len;
    const f32Counts = counts[0]!;
    i16Rows.push({
      board,
      total: mean(i16Out.counts![0]!.map((c) => c.total)),
      layers: mean(i16Out.counts![0]!.map((c) => c.layers.reduce((a, v) => a + v, 0))),
      outsidePerElement: outsidePer(i16Out.counts![0]!),
      convertPerElement: i16Out.functionInstructions![i16Fns[0]!]! / (WINDOWS * len),
      outsideI8PerElement: outsidePer(i16Out.counts![1]!),
      outsideF32PerElement: outsidePer(f32Counts),
      totalF32: mean(f32Counts.map((c) => c.total)),
      totalI8: mean(i16Out.counts![1]!.map((c) => c.total)),
      agreeWithFloat: agree,
    });
    const fps = footprints.find((f) => f.board === board && f.opt === 'Os-small')!;
    const perSmall = small.counts![0]!;
    const smallInstr = mean(perSmall.map((c) => c.total));
    const smallLayers = perSmall[0]!.layers.map((_, li) => mean(perSmall.map((c) => c.layers[li]!)));
    rows.push({ board, row: 'TBN-p reuse, TBN_SMALL -Os', instructions: smallInstr, perLayer: smallLayers, macs: macsNominal,
      instrPerMac: smallInstr / macsNominal, xnorInstrPerMac: xnorLayers.reduce((s, i) => s + smallLayers[i]!, 0) / xnorMacs,
      flashBytes: fps.text + fps.rodata + tbnBytes.length, ramBytes: tbn.scratchBytes + fps.stackBytes, vsBnn: 0, vsInt8: 0 });
  }
  for (const r of rows) {
    const bnnRow = rows.find((x) => x.board === r.board && x.row === 'BNN (p=1)')!;
    const int8Row = rows.find((x) => x.board === r.board && x.row === 'int8 (own naive)')!;
    r.vsBnn = r.instructions / bnnRow.instructions;
    r.vsInt8 = r.instructions / int8Row.instructions;
  }

  // The peer: CMSIS-NN int8 on the same network, opt-in (CMSIS_NN_DIR names a checkout; compiled under build/).
  const cmsisDir = process.env.CMSIS_NN_DIR;
  const cmsisRows: Array<{ board: EmulatedBoard; total: number; perLayer: number[] }> = [];
  let cmsisSource = '';
  if (cmsisDir) {
    if (!existsSync(path.join(cmsisDir, 'Include', 'arm_nnfunctions.h'))) throw new Error(`CMSIS_NN_DIR=${cmsisDir}: not a CMSIS-NN checkout (no Include/arm_nnfunctions.h)`);
    let commit = 'commit unknown (not a git checkout)';
    try {
      commit = `commit ${execFileSync('git', ['-C', cmsisDir, 'rev-parse', '--short=8', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()}`;
    } catch {
      // an exported tree: keep "commit unknown"
    }
    cmsisSource = `${cmsisDir}, ${commit}`;
    const blob = cmsisWeights();
    for (const board of CMSIS_BOARDS) {
      execFileSync('bash', [path.join(REPO_ROOT, 'boards', 'build.sh'), 'cmsis', board, OPT, cmsisDir], { stdio: ['ignore', 'ignore', 'pipe'] });
      const dir = path.join(BOARDS_BUILD, board, `${OPT}-cmsis`);
      const objs = readdirSync(dir).filter((f) => f.endsWith('.o')).map((f) => path.join(dir, f));
      const out = runJobs(board, [{ model: blob, inputs: int8Inputs, inputLen: len, kernel: 'cmsis' }], { count: true, opt: OPT, extraObjects: objs });
      const j = out.jobs[0]!;
      // bench_cmsis_run returns the first non-success status of any CMSIS-NN call
      if (j.windows.length !== WINDOWS || j.windows.some((w) => w.status !== 0)) throw new Error(`${board}: a CMSIS-NN call failed (statuses ${j.windows.map((w) => w.status).join(', ')})`);
      const per = out.counts![0]!;
      cmsisRows.push({ board, total: mean(per.map((c) => c.total)), perLayer: per[0]!.layers.map((_, li) => mean(per.map((c) => c.layers[li]!))) });
    }
  }

  // The Fashion-MNIST TBN-4 MLP (test/fixtures) on Cortex-M4: 4 test images, logits checked against the reference.
  const fmnistBytes = packModel(exportFloatModel(loadCheckpoint(FMNIST_CHECKPOINT), FMNIST_CHECKPOINT));
  const fmnist = readModel(fmnistBytes);
  const fmnistData = loadFashionMnist({ split: 'test' });
  const fmnistLen = fmnistData.shape[0] * fmnistData.shape[1] * fmnistData.shape[2];
  const fmnistIn = fmnistData.x.slice(0, WINDOWS * fmnistLen);
  const fmnistOut = runJobs('stm32f405', [
    { model: fmnistBytes, inputs: fmnistIn, inputLen: fmnistLen, reuse: true },
    { model: fmnistBytes, inputs: fmnistIn, inputLen: fmnistLen, reuse: false },
  ], { count: true, opt: OPT });
  for (let i = 0; i < WINDOWS; i++) {
    const ref = Array.from(runReference(fmnist, fmnistIn.subarray(i * fmnistLen, (i + 1) * fmnistLen)).logits).join();
    for (const j of fmnistOut.jobs) if (j.windows[i]!.status !== 0 || j.windows[i]!.logits.join() !== ref) throw new Error(`Fashion-MNIST on stm32f405: logits differ from the reference in image ${i}`);
  }
  const fmnistM4 = { reuse: mean(fmnistOut.counts![0]!.map((c) => c.total)), noReuse: mean(fmnistOut.counts![1]!.map((c) => c.total)) };

  // Where the Cortex-M4 instructions go: per kernel function, per inference.
  const m4Functions = [...new Set(kernelObjects('stm32f405', OPT).flatMap((o) => [...functionSymbols('stm32f405', o).keys()]))];
  const breakdown: Record<string, Record<string, number>> = {};
  const hotLines: Record<string, Array<{ line: string; source: string; instructions: number }>> = {};
  for (const [name, reuse, bytes] of [['TBN-p reuse', true, tbnBytes], ['TBN-p no reuse', false, tbnBytes], ['BNN (p=1)', true, bnnBytes]] as const) {
    const out = runJobs('stm32f405', [{ model: bytes, inputs: windows, inputLen: len, reuse }], { count: true, opt: OPT, functions: m4Functions, profile: true, keep: true });
    breakdown[name] = Object.fromEntries(Object.entries(out.functionInstructions!).filter(([, n]) => n > 0).map(([f, n]): [string, number] => [f, n / WINDOWS]).sort((a, b) => b[1] - a[1]));
    hotLines[name] = sourceLineProfile('stm32f405', out.elfPath, out.profile!, WINDOWS).slice(0, 8);
    rmSync(path.dirname(out.elfPath), { recursive: true, force: true });
  }

  // The long XNOR layer: reuse on/off and BNN, layer 1 only.
  const wide = writeModel(wideXnorModel());
  const wideModel = readModel(wide);
  const wideBnn = writeModel(asBnn(wideModel));
  const wideLen = 40 * 8;
  const wideIn = Int8Array.from({ length: 2 * wideLen }, (_, i) => ((i * 37) % 255) - 127);
  const wideMacs = layerMacs(wideModel.layers[1]!).macs;
  const wideRows = EMULATED_BOARDS.map((board) => {
    const out = runJobs(board, [
      { model: wide, inputs: wideIn, inputLen: wideLen, reuse: true },
      { model: wide, inputs: wideIn, inputLen: wideLen, reuse: false },
      { model: wideBnn, inputs: wideIn, inputLen: wideLen, reuse: true },
    ], { count: true, opt: OPT });
    const ref = Array.from(runReference(wideModel, wideIn.subarray(0, wideLen)).logits).join();
    for (const j of out.jobs) if (j.windows[0]!.logits.join() !== ref) throw new Error(`${board}: wide model logits differ from the reference`);
    const layer1 = out.counts!.map((c) => mean(c.map((w) => w.layers[1]!)));
    return { board, reuse: layer1[0]!, noReuse: layer1[1]!, bnn: layer1[2]!, instrPerMacNoReuse: layer1[1]! / wideMacs, reuseVsBnn: layer1[0]! / layer1[2]! };
  });

  // Where the Cortex-M4 -Os code bytes go.
  const m4TextByFunction = [...new Map(kernelObjects('stm32f405', 'Os').flatMap((o) => [...functionSymbols('stm32f405', o).entries()])).entries()]
    .map(([f, v]): [string, number] => [f, v.size])
    .sort((a, b) => b[1] - a[1]);

  // Goals.
  const p = Math.max(...tbn.layers.map((l) => l.p));
  const tiled = tbn.layers.filter((l) => l.p > 1).map((l) => l.index);
  const goals = EMULATED_BOARDS.map((board) => {
    const get = (row: RowName) => rows.find((x) => x.board === board && x.row === row)!;
    const reuse = get('TBN-p reuse'), noReuse = get('TBN-p no reuse'), b = get('BNN (p=1)');
    const tiledReuse = tiled.reduce((s, i) => s + reuse.perLayer[i]!, 0);
    const tiledBnn = tiled.reduce((s, i) => s + b.perLayer[i]!, 0);
    return {
      board,
      xnorInstrPerBinaryMacNoReuse: noReuse.xnorInstrPerMac!,
      xnorInstrPerBinaryMacBnn: b.xnorInstrPerMac!,
      tiledLayersReuseVsBnn: tiledReuse / tiledBnn,
      wholeReuseVsBnn: reuse.vsBnn,
      limit: (1 / p) * 1.1,
    };
  });
  const m4 = goals.find((g) => g.board === 'stm32f405')!;
  const m4Os = footprints.find((f) => f.board === 'stm32f405' && f.opt === 'Os')!;
  const m4Small = footprints.find((f) => f.board === 'stm32f405' && f.opt === 'Os-small')!;

  const lines: string[] = [];
  lines.push(`HAR network (${layerNames.join(' -> ')}), ${fmt(macsNominal)} MACs per inference (${fmt(macsReuse)} with p=${p} reuse); ` +
    `mean of ${WINDOWS} test windows, instructions counted exactly by our QEMU TCG plugin (marker cost subtracted), kernel -${OPT}.`);
  lines.push('BNN = the same model repacked with p=1 (host/native/repack.ts asBnn: every channel its own expanded row; identical logits, checked on every core).');
  lines.push('ms@1 IPC = instructions / clock: a lower bound on latency (real cores stall on loads, branches and flash wait states).');
  lines.push('');
  const hdr = ['core', 'variant', 'instr/inference', 'ms@1 IPC', 'instr/MAC', 'XNOR instr/bin-MAC', 'flash B', 'RAM B', 'vs BNN', 'vs own int8'];
  const table: string[][] = rows.map((r) => [r.board, r.row, fmt(r.instructions), fmt(r.instructions / (loadBoard(r.board).cpuMHz * 1000), 1), fmt(r.instrPerMac, 3), r.xnorInstrPerMac === null ? '-' : fmt(r.xnorInstrPerMac, 3),
    fmt(r.flashBytes), fmt(r.ramBytes), `${fmt(r.vsBnn, 3)}x`, `${fmt(r.vsInt8, 3)}x`]);
  const widths = hdr.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(line(hdr));
  for (const t of table) lines.push(line(t));
  lines.push('');
  lines.push(`Per layer (instructions, ${layerNames.join(' | ')}):`);
  for (const r of rows) lines.push(`  ${r.board.padEnd(9)} ${r.row.padEnd(26)} ${r.perLayer.map((v) => fmt(v)).join(' | ')}`);
  lines.push('');
  lines.push(`Cortex-M4 instructions per inference by kernel function (static functions inlined into their callers count there; tbn_model_open runs once per ${WINDOWS} windows):`);
  for (const [name, fns] of Object.entries(breakdown)) lines.push(`  ${name.padEnd(14)} ${Object.entries(fns).map(([f, n]) => `${f} ${fmt(n)}`).join(', ')}`);
  lines.push('Hottest kernel source lines on Cortex-M4 (instructions per inference):');
  for (const [name, hot] of Object.entries(hotLines)) {
    lines.push(`  ${name}:`);
    for (const h of hot) lines.push(`    ${fmt(h.instructions).padStart(10)}  ${h.line}  ${h.source.slice(0, 90)}`);
  }
  lines.push('');
  lines.push('Kernel footprint (bytes; stack = deepest call chain from the API, GCC call graph with -fstack-usage sizes):');
  for (const f of footprints)
    lines.push(`  ${f.board.padEnd(9)} -${f.opt}  text ${fmt(f.text).padStart(6)}  rodata ${fmt(f.rodata).padStart(5)}  data ${f.data}  bss ${f.bss}  stack ${f.stackBytes} (${f.stackPath.join(' > ')})`);
  lines.push(`  Cortex-M4 -Os text by function: ${m4TextByFunction.map(([f, n]) => `${f} ${fmt(n)}`).join(', ')}`);
  lines.push(`  model: TBN ${fmt(tbnBytes.length)} B of flash, scratch ${fmt(tbn.scratchBytes)} B; BNN ${fmt(bnnBytes.length)} B, scratch ${fmt(bnn.scratchBytes)} B; int8 weights ${fmt(int8Blob.length)} B; float32 ${fmt(f32Blob.length)} B`);
  lines.push('');
  lines.push(`Long XNOR layer (conv1d K=2048 bits, N=256, p=4, 33 positions, ${fmt(wideMacs)} binary MACs; random weights, logits checked against the reference):`);
  for (const w of wideRows)
    lines.push(`  ${w.board.padEnd(9)} reuse ${fmt(w.reuse)}  no reuse ${fmt(w.noReuse)} (${fmt(w.instrPerMacNoReuse, 3)} instr/bin-MAC)  BNN ${fmt(w.bnn)}  reuse/BNN ${fmt(w.reuseVsBnn, 3)}`);
  lines.push('');
  lines.push('Same network, the peer: CMSIS-NN int8 (ARM-software/CMSIS-NN; arm_convolve_wrapper_s8 x3, arm_max_pool_s8, arm_avgpool_s8,');
  lines.push('arm_fully_connected_s8; random int8 weights, every call ARM_CMSIS_NN_SUCCESS) against tbn, instructions per inference:');
  if (!cmsisDir) {
    lines.push('  CMSIS-NN comparison skipped: set CMSIS_NN_DIR to a checkout of ARM-software/CMSIS-NN (the README quotes commit 99f736a6).');
  } else {
    lines.push(`  CMSIS-NN from ${cmsisSource}; Xtensa lx106 not measured (its libgcc lacks the 64-bit multiply and division helpers CMSIS-NN needs).`);
    const layerLabel = tbn.layers.map((l) => l.kind === 'maxpool' ? `maxpool ${l.kernel[1]}` : l.kind === 'gap' ? 'global average pool' :
      `${l.kind} ${l.inShape[2]}->${l.outShape[2]}${l.kernel[1] > 1 ? `, k${l.kernel[1]}` : ''}${l.inType === 'i8' ? ' (int8 input)' : ''}${l.p > 1 ? `, p=${l.p}` : ''}`);
    for (const c of cmsisRows) {
      const get = (row: RowName) => rows.find((x) => x.board === c.board && x.row === row)!;
      const reuse = get('TBN-p reuse'), b = get('BNN (p=1)');
      const w = [Math.max(...layerLabel.map((x) => x.length), 'whole inference'.length), 9, 13, 13, 11];
      const row = (cells: string[]): string => `    ${cells.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ')}`;
      lines.push(`  ${c.board}:`);
      lines.push(row(['layer', 'MACs', 'CMSIS-NN int8', `TBN-${p} reuse`, 'BNN']));
      tbn.layers.forEach((l, i) => lines.push(row([layerLabel[i]!, layerMacs(l).macs ? fmt(layerMacs(l).macs) : '-', fmt(c.perLayer[i]!), fmt(reuse.perLayer[i]!), fmt(b.perLayer[i]!)])));
      lines.push(row(['whole inference', fmt(macsNominal), fmt(c.total), fmt(reuse.instructions), fmt(b.instructions)]));
      lines.push(`    CMSIS-NN / TBN-${p}: ${fmt(c.total / reuse.instructions, 2)}x fewer instructions for tbn; CMSIS-NN / BNN: ${fmt(c.total / b.instructions, 2)}x ` +
        `(tbn's whole inference includes its float -> int8 input conversion, ${fmt(reuse.instructions - reuse.perLayer.reduce((a, v) => a + v, 0))} instructions outside the layers; CMSIS-NN gets int8 input)`);
    }
  }
  lines.push('');
  lines.push(`Input conversion, TBN-${p} reuse, ${fmt(len)} elements per window (${WINDOWS} test windows; int16 = the windows as MPU-6050 counts at ` +
    `+-${DEFAULT_RANGES.accelRangeG} g / +-${DEFAULT_RANGES.gyroRangeDps} deg/s with the triples int16InputParams derives; logits checked against the reference's int16 path):`);
  for (const r of i16Rows) {
    lines.push(`  ${r.board.padEnd(9)} int16 -> int8 (quantise_i16, checks included) ${fmt(r.convertPerElement, 2)} instr/element; outside the layers per element: ` +
      `int16 ${fmt(r.outsidePerElement, 2)}, float ${fmt(r.outsideF32PerElement, 2)}, int8 ${fmt(r.outsideI8PerElement, 2)}; whole inference: int16 ${fmt(r.total)}, float ${fmt(r.totalF32)}, int8 ${fmt(r.totalI8)}; ` +
      `class as with float input in ${r.agreeWithFloat}/${WINDOWS} windows`);
  }
  {
    // The device app's sensor-stream buffers (device/app.ts, default tbn.cfg): the sample ring (window + max(2 stride, 16)
    // samples), the inference window, and one FIFO burst's converted samples (a RAW frame's worth).
    const W = tbn.inShape[0] * tbn.inShape[1];
    const C = tbn.inShape[2];
    const ringSamples = W + Math.max(2 * Math.floor(W / 2), 16);
    const burst = Math.floor((MAX_PAYLOAD - RAW_HEADER) / (2 * 6)) * C;
    const values = ringSamples * C + len + burst;
    lines.push(`  device RAM of the sensor stream (ring ${ringSamples} x ${C}, window ${fmt(len)}, burst ${burst} values): int16 ${fmt(2 * values)} B ` +
      `(+ ${4 * i16Params.length} B of triples), float ${fmt(4 * values)} B: ${fmt(2 * values - 4 * i16Params.length)} B saved`);
  }
  lines.push('');
  lines.push(`Fashion-MNIST TBN-4 MLP (test/fixtures/models/fmnist-tbn4.ckpt.json, ${fmt(fmnist.layers.reduce((a, l) => a + layerMacs(l).macs, 0))} MACs) on Cortex-M4, ` +
    `mean of ${WINDOWS} test images, logits checked: reuse ${fmt(fmnistM4.reuse)}, no reuse ${fmt(fmnistM4.noReuse)} instructions per inference`);
  lines.push('');
  lines.push('Goals:');
  const wideM4 = wideRows.find((w) => w.board === 'stm32f405')!;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  lines.push(`  Cortex-M4 XNOR layers <= 0.5 instr/binary MAC: HAR (K = 160, 320 bits) ${fmt(m4.xnorInstrPerBinaryMacNoReuse, 3)} without reuse -> ${verdict(m4.xnorInstrPerBinaryMacNoReuse <= 0.5)}; long layer (K = 2048) ${fmt(wideM4.instrPerMacNoReuse, 3)} -> ${verdict(wideM4.instrPerMacNoReuse <= 0.5)}`);
  for (const g of goals) {
    const w = wideRows.find((x) => x.board === g.board)!;
    lines.push(`  ${g.board}: reuse / BNN <= 1/${p} + 10% = ${fmt(g.limit, 3)}: HAR tiled layers ${fmt(g.tiledLayersReuseVsBnn, 3)} -> ${verdict(g.tiledLayersReuseVsBnn <= g.limit)} (whole inference ${fmt(g.wholeReuseVsBnn, 3)}); long layer ${fmt(w.reuseVsBnn, 3)} -> ${verdict(w.reuseVsBnn <= g.limit)}`);
  }
  {
    const m4Row = (row: RowName) => rows.find((x) => x.board === 'stm32f405' && x.row === row)!;
    const reuse = m4Row('TBN-p reuse');
    const first = tbn.layers[0]!;
    const firstPerMac = reuse.perLayer[0]! / layerMacs(first).macs;
    const last = tbn.layers.length - 1;
    const outside = (reuse.instructions - reuse.perLayer.reduce((a, v) => a + v, 0)) / len;
    const cm4 = cmsisRows.find((c) => c.board === 'stm32f405');
    lines.push(`  Cortex-M4 whole HAR inference <= 420,000 instructions: ${fmt(reuse.instructions)} -> ${verdict(reuse.instructions <= 420000)}` +
      (cm4 ? ` (${fmt(cm4.total / reuse.instructions, 2)}x fewer than CMSIS-NN's ${fmt(cm4.total)}; goal >= 12x -> ${verdict(cm4.total / reuse.instructions >= 12)})` : ' (CMSIS-NN not measured in this run)'));
    lines.push(`  Cortex-M4 int8-input first layer <= 0.8 instr/MAC: ${fmt(firstPerMac, 3)} -> ${verdict(firstPerMac <= 0.8)}`);
    lines.push(`  Cortex-M4 final dense layer <= CMSIS-NN's: ${fmt(reuse.perLayer[last]!)}` +
      (cm4 ? ` vs ${fmt(cm4.perLayer[last]!)} -> ${verdict(reuse.perLayer[last]! <= cm4.perLayer[last]!)}` : ' (CMSIS-NN not measured in this run)'));
    lines.push(`  Cortex-M4 float -> int8 input conversion <= 1 instr/element: ${fmt(outside, 1)} per element outside the layers (conversion, checks, argmax) -> ${verdict(outside <= 1)}`);
    const i16m4 = i16Rows.find((r) => r.board === 'stm32f405')!;
    lines.push(`  Cortex-M4 input conversion, or int16 samples straight from a sensor without a float pass: int16 path (TBN_INPUT_I16) ${fmt(i16m4.convertPerElement, 2)} instr/element, ` +
      `whole inference ${fmt(i16m4.total)} vs ${fmt(i16m4.totalF32)} with float input` +
      (cm4 ? ` (${fmt(cm4.total / i16m4.total, 2)}x fewer than CMSIS-NN's ${fmt(cm4.total)})` : '') + ' -> ' +
      `${i16Rows.length === EMULATED_BOARDS.length ? 'met by the int16 path (bit-exact on every core, lx106 included)' : 'MISSED'}; the float path alone would need <= 1 instr/element`);
    for (const board of ['esp32c3', 'esp8266'] as const) {
      const b = rows.find((x) => x.board === board && x.row === 'BNN (p=1)')!;
      lines.push(`  ${board} XNOR layers <= 0.5 instr/binary MAC (BNN row): ${fmt(b.xnorInstrPerMac!, 3)} -> ${verdict(b.xnorInstrPerMac! <= 0.5)}`);
    }
  }
  lines.push(`  Cortex-M4 kernel text at -Os <= 4 KB: size-first build (-DTBN_SMALL) ${fmt(m4Small.text)} B (+ rodata ${fmt(m4Small.rodata)} B) -> ${verdict(m4Small.text <= 4096)}; ` +
    `default (speed) build ${fmt(m4Os.text)} B`);
  const heap = footprints.every((f) => !f.undefinedSymbols.some((s) => /alloc|free|sbrk/.test(s)) && f.data === 0 && f.bss === 0);
  lines.push(`  no heap, no static state: ${heap ? 'met' : 'MISSED'} (kernel objects reference no allocator; .data = .bss = 0)`);

  const json = { int16Input: i16Rows, cmsis: cmsisDir ? { source: cmsisSource, rows: cmsisRows } : null, fashionMnistM4: fmnistM4, m4TextByFunctionOs: Object.fromEntries(m4TextByFunction), wideXnorLayer: { macs: wideMacs, rows: wideRows }, m4FunctionBreakdown: breakdown, m4HotLines: hotLines, network: layerNames, macs: macsNominal, macsWithReuse: macsReuse, windows: WINDOWS, opt: OPT, rows, footprints, goals,
    m4KernelTextOs: m4Os.text, m4KernelTextOsSmall: m4Small.text, modelBytes: { tbn: tbnBytes.length, bnn: bnnBytes.length, int8: int8Blob.length, f32: f32Blob.length } };
  const outDir = path.join(REPO_ROOT, 'build', 'bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'boards.json'), JSON.stringify(json, null, 2));
  return { title: 'Boards: HAR network on emulated Cortex-M4F, RV32IMC and Xtensa lx106', text: lines.join('\n'), json };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  run().then((r) => console.log(`${r.title}\n${r.text}`), (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
