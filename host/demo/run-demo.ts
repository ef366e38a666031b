/**
 * The demo as a library: train a small HAR TBN, pack it, bundle the device
 * app, run it in the simulator behind a pty and stream held-out recordings
 * through it, comparing every prediction with the host integer reference.
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/files.ts';
import path from 'node:path';
import { loadBoard } from '../boards.ts';
import { buildDeviceBundle } from '../build/bundle.ts';
import type { Recording } from '../data/recording.ts';
import { defaultHarRoot } from '../data/sp-sw-har.ts';
import { loadSplits } from '../data/select.ts';
import { parseSubjects } from '../data/subjects.ts';
import { synthesizeMotion } from '../data/synthetic.ts';
import { packModel } from '../format/pack.ts';
import { readModel } from '../format/reader.ts';
import { runReference } from '../reference/infer.ts';
import { DEFAULT_MIN_TILE_SIZE } from '../train/arch.ts';
import { exportFloatModel } from '../train/export.ts';
import { trainVariants } from '../train/session.ts';
import { openSerialLink } from '../stream/link.ts';
import { harRecordings, type StreamReport, streamRecordings } from '../stream/session.ts';
import { writeDemoReport } from '../report/demo.ts';
import { startPtySimulator } from '../sim/serve.ts';
import { readBundle } from '../sim/simulator.ts';
import { loadWasmTbnModule } from '../sim/tbn-module.ts';

export interface DemoOptions {
  board?: string;
  epochs?: number;
  /** Force the synthetic data even when sp-sw-har is present. */
  synthetic?: boolean;
  testSubjects?: string;
  outDir?: string;
  seed?: number;
  onStep?: (message: string) => void;
  /** Write OUTDIR/report.html (tbn report's page of this run); default true. */
  report?: boolean;
}

export interface DemoResult {
  data: 'sp-sw-har' | 'synthetic';
  testSubjects: string;
  dataDescription: string;
  board: string;
  modelFile: string;
  modelBytes: number;
  scratchBytes: number;
  bundleBytes: number;
  jsVarsUsed: number;
  jsVars: number;
  floatTestAccuracy: number;
  windows: number;
  deviceAccuracy: number;
  referenceAccuracy: number;
  /** Predictions whose class and logits equal the host integer reference. */
  bitExact: number;
  framesPerSecond: number;
  samplesPerSecond: number;
  inferenceMicros: number;
  latencyMsP50: number;
  trainSeconds: number;
  streamSeconds: number;
  report: StreamReport;
  /** The HTML report written, unless `report: false`. */
  reportFile?: string;
}

function subjectHash(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Held-out synthetic recordings: four per subject, as the synthetic data set makes them. */
export function syntheticRecordings(subjects: string[], perSubject = 4): Recording[] {
  const out: Recording[] = [];
  for (const s of subjects) {
    const personSeed = subjectHash(s);
    for (let r = 0; r < perSubject; r++) {
      const rec = synthesizeMotion({ seconds: 16, seed: (personSeed + (r + 1) * 65537) >>> 0, personSeed, subject: s });
      out.push({ ...rec, file: `synthetic ${s} #${r + 1}` });
    }
  }
  return out;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const step = opts.onStep ?? (() => {});
  const outDir = opts.outDir ?? path.resolve('out', 'demo');
  const testSubjects = opts.testSubjects ?? 's15-s18';
  const harRoot = opts.synthetic ? undefined : defaultHarRoot();
  const data = harRoot ? 'sp-sw-har' : 'synthetic';
  if (!harRoot) {
    step(
      opts.synthetic
        ? 'data: SYNTHETIC HAR-like motion (generated, not recorded), as requested'
        : 'data: ../shared/data/sp-sw-har is absent; using SYNTHETIC HAR-like motion (generated, not recorded) instead',
    );
  }
  const seed = opts.seed ?? 1;
  const splits = loadSplits({ data: harRoot ? 'har' : 'synthetic', test: testSubjects, dataRoot: harRoot }, seed);
  step(`data: ${splits.description}`);

  const epochs = opts.epochs ?? 30;
  step(`training TBN-4 (binary activations, p = 1,4,4,1) for ${epochs} epochs`);
  const t0 = performance.now();
  const [result] = trainVariants(splits, {
    arch: 'har-cnn',
    variants: ['tbn'],
    activation: 'sign',
    alpha: 'weight',
    p: 4,
    layerP: [1, 4, 4, 1],
    minTileSize: DEFAULT_MIN_TILE_SIZE,
    epochs,
    batch: 32,
    lrs: [1e-3],
    weightDecay: 1e-4,
    seed,
    slim: true,
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (!result) throw new Error('training returned no model');
  const modelBytes = packModel(exportFloatModel(result.checkpoint, 'demo checkpoint'));
  mkdirSync(outDir, { recursive: true });
  const modelFile = path.join(outDir, 'model.tbn');
  writeFileAtomic(modelFile, modelBytes);
  const reference = readModel(modelBytes);
  step(`packed ${modelFile}: ${modelBytes.length} B, scratch ${reference.scratchBytes} B (float test accuracy ${(100 * result.test.accuracy).toFixed(1)}%)`);

  const bundleFile = buildDeviceBundle();
  const bundle = readBundle(bundleFile);
  step(`bundled the device app: ${path.relative(process.cwd(), bundleFile) || bundleFile}, ${bundle.length} B of ES5`);

  const board = loadBoard(opts.board ?? 'stm32f405');
  const ps = await startPtySimulator({ board, bundle, model: modelBytes, tbn: await loadWasmTbnModule() });
  step(`simulating ${board.name} (${board.title}) behind the pty ${ps.hostPath}`);
  const recordings = harRoot ? harRecordings(testSubjects, harRoot) : syntheticRecordings(parseSubjects(testSubjects));
  const W = reference.inShape[1];
  const C = reference.inShape[2];
  let refCorrect = 0;
  let bitExact = 0;
  let windows = 0;
  let report: StreamReport;
  const link = await openSerialLink(ps.hostPath);
  try {
    step(`streaming ${recordings.length} held-out recordings (${testSubjects}) as fast as the link allows`);
    report = await streamRecordings(link, recordings, {
      mode: 'fast',
      onRecording: (rec, res) => {
        for (const p of res.predictions) {
          const ref = runReference(reference, rec.samples.subarray((p.endSeq - W) * C, p.endSeq * C));
          const truth = rec.labels[p.endSeq - W + Math.floor(W / 2)];
          windows++;
          if (ref.cls === truth) refCorrect++;
          if (ref.cls === p.cls && ref.logits.length === p.logits.length && ref.logits.every((v, i) => v === p.logits[i])) bitExact++;
        }
      },
    });
  } finally {
    await link.close();
    await ps.close();
  }
  const reportFile = opts.report === false ? undefined
    : await writeDemoReport({ outDir, command: `tbn demo --epochs ${epochs}${opts.synthetic ? ' --synthetic' : ''} --board ${board.name} --test ${testSubjects}`, checkpoint: result.checkpoint, modelFile, model: reference, test: splits.test, stream: report, board: board.name });
  return {
    data,
    testSubjects,
    dataDescription: splits.description,
    board: board.name,
    modelFile,
    modelBytes: modelBytes.length,
    scratchBytes: reference.scratchBytes,
    bundleBytes: bundle.length,
    jsVarsUsed: ps.sim.limits.fit.rows.find((r) => r.what === 'JS variables')?.need ?? ps.sim.limits.jsVarsUsed,
    jsVars: board.jsVars,
    floatTestAccuracy: result.test.accuracy,
    windows,
    deviceAccuracy: report.accuracy,
    referenceAccuracy: windows ? refCorrect / windows : 0,
    bitExact,
    framesPerSecond: report.framesPerSecond,
    samplesPerSecond: report.samplesPerSecond,
    inferenceMicros: report.inferenceMicros.mean,
    latencyMsP50: report.latencyMs.p50,
    trainSeconds,
    streamSeconds: report.seconds,
    report,
    ...(reportFile ? { reportFile } : {}),
  };
}

export function formatDemo(r: DemoResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows: Array<[string, string]> = [
    ['data', r.data === 'synthetic' ? `SYNTHETIC motion (generated, not recorded), subjects ${r.testSubjects}` : `sp-sw-har (Matey-Sanz et al. 2023, CC BY 4.0), held-out subjects ${r.testSubjects}`],
    ['windows streamed', String(r.windows)],
    ['accuracy on device (simulated ' + r.board + ')', pct(r.deviceAccuracy)],
    ['accuracy of the host integer reference', pct(r.referenceAccuracy)],
    ['predictions bit-exact with the reference', `${r.bitExact}/${r.windows}`],
    ['float model test accuracy (training)', pct(r.floatTestAccuracy)],
    ['model bytes (.tbn)', String(r.modelBytes)],
    ['scratch RAM bytes', String(r.scratchBytes)],
    ['app bundle bytes (ES5)', String(r.bundleBytes)],
    ['JS variables incl. scratch (estimate)', `${r.jsVarsUsed} of ${r.jsVars}`],
    ['frames per second (pty, fast mode)', r.framesPerSecond.toFixed(0)],
    ['samples per second', r.samplesPerSecond.toFixed(0)],
    ['inference time in the simulator', `${r.inferenceMicros.toFixed(0)} us`],
    ['prediction latency p50', `${r.latencyMsP50.toFixed(2)} ms`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return ['| what | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v} |`)].join('\n');
}
