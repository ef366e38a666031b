/**
 * `tbn report` as a library: one self-contained HTML page (charts as inline SVG,
 * tile pictures as inline PNG, no script, no external resource) of what a model
 * is, how it trained and how it runs. Figures carry `data-figure` attributes so
 * tests can find them.
 */
import { version as VEGA_LITE_VERSION } from 'vega-lite';
import type { BoardDefinition } from '../boards.ts';
import { TbnError } from '../errors.ts';
import { isWeightKind, weightGeometry } from '../format/layout.ts';
import type { PackedModel } from '../format/model.ts';
import { formatSummary, summarizeModel } from '../format/summary.ts';
import type { StreamReport } from '../stream/session.ts';
import { weightCount, type WeightLayerSpec } from '../train/arch.ts';
import { checkpointTensor, type Checkpoint } from '../train/checkpoint.ts';
import { modelLabel, modelSize } from '../train/size.ts';
import {
  type CandidatePoint,
  confusionSpec,
  costLayersSpec,
  costSpec,
  curvesSpec,
  type CurvePoint,
  type FaintCurvePoint,
  latencySpec,
  layerBarsSpec,
  lrSpec,
  renderChart,
  SIZE_FORMATS,
  timelineSpec,
  totalsSpec,
} from './charts.ts';
import type { ReportEval } from './evaluate.ts';
import type { MonitorLog } from './monitor.ts';
import { bnnImage, tensorImage, tileImage, tileSigns } from './tiles.ts';

export interface ReportModel {
  file: string;
  checkpoint: Checkpoint;
}

export interface ReportInput {
  /** The command line that produced the report (shown at the top and under each figure). */
  command: string;
  models: ReportModel[];
  /** The packed TBN (or BNN) whose sizes and tiles are shown; `packedFrom` says how it was obtained. */
  packed?: { file: string; model: PackedModel; label: string; packedFrom: string };
  board: BoardDefinition;
  evals?: ReportEval[];
  /** Where `evals` came from, e.g. "tbn report --eval --data har (test split, seed 1)". */
  evalSource?: string;
  stream?: { file: string; report: StreamReport };
  /** A `tbn monitor --json` log: the board on its own sensor (no true label). */
  monitor?: { file: string; log: MonitorLog };
  bench?: { file: string; json: BenchJson };
  /** ISO time written in the page; fixed by tests for reproducible output. */
  created?: string;
  title?: string;
}

/** The part of build/bench/boards.json (npm run bench boards) the cost section reads. */
export interface BenchJson {
  network: string[];
  rows: { board: string; row: string; instructions: number; perLayer: number[]; instrPerMac?: number; flashBytes?: number; ramBytes?: number }[];
  windows?: number;
  opt?: string;
}

/** Checks the shape of a bench boards.json; names the file and the field that is wrong. */
export function parseBenchJson(raw: unknown, file: string): BenchJson {
  const bad = (what: string): never => {
    throw new TbnError('E_INPUT', `${file}: not a bench boards.json (${what}); run \`npm run bench boards\` to make build/bench/boards.json`);
  };
  const o = raw as Partial<BenchJson> | null;
  if (!o || typeof o !== 'object') bad('not a JSON object');
  if (!Array.isArray(o?.network) || !o.network.every((n) => typeof n === 'string')) bad('"network" must list the layer names');
  if (!Array.isArray(o?.rows) || o.rows.length === 0) bad('"rows" is missing or empty');
  (o as BenchJson).rows.forEach((r, i) => {
    if (typeof r.board !== 'string' || typeof r.row !== 'string' || typeof r.instructions !== 'number' || !Array.isArray(r.perLayer)) bad(`rows[${i}] lacks board, row, instructions or perLayer`);
    if (r.perLayer.length !== (o as BenchJson).network.length) bad(`rows[${i}] has ${r.perLayer.length} per-layer counts for ${(o as BenchJson).network.length} layers`);
  });
  return o as BenchJson;
}

/** Checks the shape of a `tbn stream --json` report (or a monitor JSON of the same shape). */
export function parseStreamJson(raw: unknown, file: string): StreamReport {
  const o = raw as Partial<StreamReport> | null;
  const bad = (what: string): never => {
    throw new TbnError('E_INPUT', `${file}: not a tbn stream --json report (${what})`);
  };
  if (!o || typeof o !== 'object') bad('not a JSON object');
  if (!Array.isArray(o?.classes) || !Array.isArray(o.confusion)) bad('"classes" and "confusion" are required');
  if (typeof o?.deviceCounters !== 'object' || o.deviceCounters === null) bad('"deviceCounters" is required');
  if (!o?.latencyMs || typeof o.latencyMs.p50 !== 'number') bad('"latencyMs" is required');
  if (o?.timeline !== undefined && !Array.isArray(o.timeline)) bad('"timeline" must be a list');
  return o as StreamReport;
}

const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function weightSpecs(ckpt: Checkpoint): WeightLayerSpec[] {
  return ckpt.spec.layers.filter((l): l is WeightLayerSpec => l.kind === 'dense' || l.kind === 'conv1d' || l.kind === 'conv2d');
}

/** Label of a model, with its file when two models share one. */
function labels(models: ReportModel[]): string[] {
  const base = models.map((m) => modelLabel(m.checkpoint.spec));
  return base.map((b, i) => (base.filter((x) => x === b).length > 1 ? `${b} [${models[i]?.file}]` : b));
}

/** The data, split, seed and schedule behind a model's figures, in one line. */
export function provenance(m: ReportModel): string {
  const t = m.checkpoint.train;
  const sel = m.checkpoint.metrics.selection;
  const lrs = (sel?.candidates ?? []).map((c) => c.lr);
  const how = sel?.folds ? `chosen by ${sel.folds}-fold cross-validation on train+val from ${lrs.join(', ')}` : lrs.length > 1 ? `chosen on val from ${lrs.join(', ')}` : 'given';
  const parts = [
    `checkpoint ${m.file}`,
    `data: ${m.checkpoint.metrics.data ?? 'not recorded in the checkpoint'}`,
    `seed ${t.seed}`,
    `${t.epochsDone} epochs, batch ${t.batch}, lr ${t.lr} (${how})${t.refit ? ', refit on train+val' : ''}`,
    `weight decay ${t.weightDecay}`,
    `trained ${m.checkpoint.created} with the ${t.engine} engine`,
  ];
  return parts.join('; ');
}

interface Figure {
  id: string;
  html: string;
}

function figure(id: string, body: string, caption: string, attrs: Record<string, string | number> = {}): Figure {
  const extra = Object.entries(attrs).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  return { id, html: `<figure data-figure="${esc(id)}"${extra}>${body}<figcaption>${caption}</figcaption></figure>` };
}

async function chart(id: string, spec: Record<string, unknown>, caption: string, attrs: Record<string, string | number> = {}): Promise<Figure> {
  return figure(id, `<div class="chart">${await renderChart(spec)}</div>`, caption, attrs);
}

function note(text: string): string {
  return `<p class="note">${text}</p>`;
}

// ---------------------------------------------------------------- training

async function trainingSection(input: ReportInput, names: string[], cmd: string): Promise<string> {
  const lossMain: CurvePoint[] = [];
  const accMain: CurvePoint[] = [];
  const lossFaint: FaintCurvePoint[] = [];
  const accFaint: FaintCurvePoint[] = [];
  const notes: string[] = [];
  const candidates: CandidatePoint[] = [];
  input.models.forEach((m, i) => {
    const model = names[i] as string;
    const c = m.checkpoint;
    const refit = c.train.refit === true;
    const trainSplit = refit ? 'train+val (refit)' : 'train';
    for (const h of c.history) {
      lossMain.push({ model, split: trainSplit, epoch: h.epoch, value: h.loss });
      accMain.push({ model, split: trainSplit, epoch: h.epoch, value: h.trainAccuracy });
      if (h.valAccuracy !== undefined) accMain.push({ model, split: 'val', epoch: h.epoch, value: h.valAccuracy });
      if (h.valLoss !== undefined) lossMain.push({ model, split: 'val', epoch: h.epoch, value: h.valLoss });
    }
    const sel = c.metrics.selection;
    const runs = sel?.runs ?? [];
    if (refit) {
      // The refit model trained on val: its validation curve is the selection run's (chosen lr, trained on train alone).
      const chosen = runs.find((r) => r.lr === c.train.lr && r.fold === undefined);
      if (chosen) {
        for (const h of chosen.history) {
          if (h.valAccuracy !== undefined) accMain.push({ model, split: 'val (chosen lr, trained on train)', epoch: h.epoch, value: h.valAccuracy });
          if (h.valLoss !== undefined) lossMain.push({ model, split: 'val (chosen lr, trained on train)', epoch: h.epoch, value: h.valLoss });
        }
      } else if (!sel?.folds) {
        notes.push(`${esc(model)}: refit on train+val; this checkpoint holds no per-epoch history of its selection runs, so there is no validation curve.`);
      }
    }
    for (const r of runs) {
      const run = `${model} lr ${r.lr}${r.fold !== undefined ? ` fold ${r.fold}` : ''}`;
      if (!refit && r.fold === undefined && r.lr === c.train.lr) continue; // that run is the model itself
      for (const h of r.history) {
        lossFaint.push({ model, split: 'train', run, epoch: h.epoch, value: h.loss });
        accFaint.push({ model, split: 'train', run, epoch: h.epoch, value: h.trainAccuracy });
      }
    }
    if (sel?.folds && runs.every((r) => r.fold === undefined)) notes.push(`${esc(model)}: the lr was chosen by ${sel.folds}-fold cross-validation, but this checkpoint predates the per-fold histories, so the folds are not drawn.`);
    if (sel?.folds) notes.push(`${esc(model)}: the faint lines are the ${sel.folds} cross-validation folds of each lr (training loss and accuracy per epoch; each fold's validation accuracy is measured once at its end and pooled into the selection accuracy).`);
    if (c.history.length > 0 && c.history.some((h) => h.valAccuracy !== undefined) && c.history.every((h) => h.valLoss === undefined)) {
      notes.push(`${esc(model)}: validation loss was not recorded by the tbn that trained this checkpoint; only validation accuracy is drawn.`);
    }
    const cands = sel?.candidates ?? (c.metrics.val ? [{ lr: c.train.lr, valAccuracy: c.metrics.val.accuracy }] : []);
    for (const cand of cands) {
      candidates.push({ model, lr: cand.lr, accuracy: cand.valAccuracy, chosen: cand.lr === c.train.lr ? 'chosen' : 'tried', how: sel?.folds ? `${sel.folds}-fold CV` : 'val split' });
    }
  });
  const prov = input.models.map((m) => `<li>${esc(provenance(m))}</li>`).join('');
  const caption = `One line per model and split (solid/dashed by split); faint lines: the runs trained to choose the learning rate. ${cmd}<ul>${prov}</ul>`;
  const lrTitle = (input.models.map((m, i) => `${names[i]} lr ${m.checkpoint.train.lr}`)).join(', ');
  const figs: Figure[] = [];
  figs.push(await chart('training-loss', curvesSpec(`Loss per epoch (chosen: ${lrTitle})`, 'cross-entropy', lossMain, lossFaint, false), caption, { curves: new Set(lossMain.map((p) => `${p.model}|${p.split}`)).size }));
  figs.push(await chart('training-accuracy', curvesSpec(`Accuracy per epoch (chosen: ${lrTitle})`, 'accuracy', accMain, accFaint, true), caption, { curves: new Set(accMain.map((p) => `${p.model}|${p.split}`)).size }));
  if (candidates.length > 0) figs.push(await chart('learning-rate', lrSpec(candidates), `Selection accuracy of every learning rate tried; the chosen rate is filled. ${cmd}`));
  return `<section id="training"><h2>Training</h2>${notes.map(note).join('')}<div class="row">${figs.map((f) => f.html).join('')}</div></section>`;
}

// ---------------------------------------------------------------- accuracy

async function accuracySection(input: ReportInput, names: string[], cmd: string): Promise<string> {
  const rows = input.models.map((m, i) => {
    const c = m.checkpoint;
    const size = modelSize(c.spec);
    const v = c.metrics.val;
    const t = c.metrics.test;
    const how = c.metrics.selection?.folds ? ` (${c.metrics.selection.folds}-fold CV)` : '';
    return `<tr><td>${esc(names[i] as string)}</td><td>${esc(c.train.lr)}</td><td>${v ? esc(pct(v.accuracy) + how) : '-'}</td><td>${t ? esc(pct(t.accuracy)) : '-'}</td><td>${t ? t.macroF1.toFixed(3) : '-'}</td><td>${c.metrics.train ? `${esc(c.metrics.train.name)} (${fmt(c.metrics.train.count)})` : '-'}</td><td>${fmt(size.weightBits)}</td><td>${size.bitsPerWeight.toFixed(3)}</td><td>${esc(size.layers.map((l) => l.p).join(','))}</td></tr>`;
  });
  const table = `<table data-table="accuracy"><thead><tr><th>model</th><th>lr</th><th>val acc</th><th>test acc</th><th>test macro-F1</th><th>trained on</th><th>weight bits</th><th>bits/weight</th><th>p per layer</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const evals = [...(input.evals ?? [])];
  if (input.stream) {
    const r = input.stream.report;
    evals.push({ title: `on the device (${input.stream.file})`, data: `${r.recordings?.length ?? '?'} recordings streamed`, count: r.predictions, classes: r.classes, confusion: r.confusion, accuracy: r.accuracy });
  }
  const figs: Figure[] = [];
  for (const e of evals) {
    const cells = e.confusion.flatMap((row, ti) => {
      const total = row.reduce((a, b) => a + b, 0);
      return row.map((count, pi) => ({ truth: e.classes[ti] as string, predicted: e.classes[pi] as string, count, share: total > 0 ? count / total : 0 }));
    });
    figs.push(await chart('confusion', confusionSpec(`${e.title}: ${pct(e.accuracy)} of ${fmt(e.count)}`, e.classes, cells), `Confusion matrix, rows the true class, columns the prediction, ${esc(e.data)}. ${input.stream && e === evals[evals.length - 1] ? '' : esc(input.evalSource ?? '')} ${cmd}`, { classes: e.classes.length }));
  }
  const none = evals.length === 0 ? note('No confusion matrix: give <code>--eval</code> (with the data options of training) or <code>--stream JSON</code>.') : '';
  return `<section id="accuracy"><h2>Accuracy</h2>${table}${note('val acc: the chosen lr on the validation split (or its pooled cross-validation accuracy); test acc: the saved model. Weight bits = tile bits + 32 per α; FP32 32 per weight.')}${none}<div class="row">${figs.map((f) => f.html).join('')}</div></section>`;
}

// ---------------------------------------------------------------- size

async function sizeSection(input: ReportInput, cmd: string): Promise<string> {
  const p = input.packed;
  if (!p) return `<section id="size"><h2>Size</h2>${note('No packed model: give --model m.tbn or a BNN/TBN checkpoint.')}</section>`;
  const s = summarizeModel(p.model);
  const weightLayers = s.layers.filter((l) => l.layout !== '-');
  const names = weightLayers.map((l) => `${l.index}: ${l.kind}`);
  const bars = weightLayers.flatMap((l, i) => [
    { layer: names[i] as string, order: i, format: SIZE_FORMATS[0], bytes: l.fp32Bytes },
    { layer: names[i] as string, order: i, format: SIZE_FORMATS[1], bytes: l.int8Bytes },
    { layer: names[i] as string, order: i, format: SIZE_FORMATS[2], bytes: l.bnnTileBytes + l.threshBytes + l.auxBytes },
    { layer: names[i] as string, order: i, format: SIZE_FORMATS[3], bytes: l.tileBytes + l.threshBytes + l.auxBytes },
  ]);
  const t = s.totals;
  const b = input.board;
  const flash = [
    { format: 'FP32', bytes: t.fp32Bytes },
    { format: 'int8', bytes: t.int8Bytes },
    { format: 'BNN (p=1)', bytes: t.bnnFileBytes },
    { format: 'TBN (this file)', bytes: s.fileBytes },
  ];
  const ram = [{ format: 'scratch (this file)', bytes: s.scratchBytes }];
  const source = input.models.find((m) => modelLabel(m.checkpoint.spec) === p.label);
  const src = `From ${esc(p.file)} (${esc(p.packedFrom)}${source ? `; trained as: ${esc(provenance(source))}` : ''}); per layer: weights plus thresholds/flips or multipliers/biases, as <code>tbn inspect</code> counts them; FP32 and int8: 4 or 1 byte per weight plus 8 bytes per channel. ${cmd}`;
  const figs = [
    await chart('layer-sizes', layerBarsSpec(bars, names), src, { layers: weightLayers.length, formats: SIZE_FORMATS.length }),
    await chart('flash-totals', totalsSpec(`Model bytes vs the ${b.name}'s flash for models`, flash, [{ budget: `${b.name} model flash ${fmt(b.modelFlashBytes)} B`, bytes: b.modelFlashBytes }, { budget: `Storage ${fmt(b.storageBytes)} B`, bytes: b.storageBytes }], flash.map((f) => f.format)), `Whole model per format; dashed: the board's budgets (boards/${esc(b.name)}/board.json). ${cmd}`),
    await chart('ram-totals', totalsSpec(`Scratch RAM vs the ${b.name}'s app RAM`, ram, [{ budget: `app RAM ${fmt(b.appRamBytes)} B`, bytes: b.appRamBytes }, { budget: `chip RAM ${fmt(b.ramBytes)} B`, bytes: b.ramBytes }], ram.map((r) => r.format)), `Scratch = two activation buffers + gathered row. ${cmd}`),
  ];
  const inspect = formatSummary(s, `tbn inspect ${p.file}`);
  return `<section id="size"><h2>Size</h2><div class="row">${figs.map((f) => f.html).join('')}</div><details open><summary>tbn inspect numbers</summary><pre data-inspect>${esc(inspect)}</pre></details></section>`;
}

// ---------------------------------------------------------------- tiles

function img(png: Buffer, width: number, height: number, attrs: Record<string, string | number>, alt: string): string {
  const scale = Math.max(1, Math.min(8, Math.floor(560 / width)));
  const extra = Object.entries(attrs).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  return `<img class="bits" alt="${esc(alt)}"${extra} width="${width * scale}" height="${height * scale}" src="data:image/png;base64,${png.toString('base64')}">`;
}

function tilesSection(input: ReportInput, cmd: string): string {
  const p = input.packed;
  if (!p) return '';
  const bnn = input.models.find((m) => m.checkpoint.spec.variant === 'bnn' && m.checkpoint.spec.weights === 'binary');
  const source = input.models.find((m) => modelLabel(m.checkpoint.spec) === p.label) ?? input.models.find((m) => m.checkpoint.spec.variant === 'tbn');
  const ckptLayers = source ? weightSpecs(source.checkpoint) : [];
  const bnnLayers = bnn ? weightSpecs(bnn.checkpoint) : [];
  const blocks: string[] = [];
  const trainedBy = source ? ` (trained as: ${esc(provenance(source))})` : '';
  let weightIndex = 0;
  for (const l of p.model.layers) {
    if (!isWeightKind(l.kind)) continue;
    const wi = weightIndex++;
    if (l.p <= 1) continue;
    const g = weightGeometry(l.inShape[2], l.outShape[2], l.kernel, l.p);
    const signs = tileSigns(l);
    const tile = tileImage(signs, g.K);
    const tensor = tensorImage(signs, g.N, g.K);
    const name = ckptLayers[wi]?.name ?? `layer ${l.index}`;
    const minus = signs.reduce((a, v) => a + (v === -1 ? 1 : 0), 0);
    const parts = [
      `<div class="tilebox"><h4>the tile: ${fmt(g.q)} bits (${tile.height} × ${g.K})</h4>${img(tile.png, tile.width, tile.height, { tile: 'tile', layer: l.index, bits: g.q, k: g.K }, `${name} tile`)}</div>`,
      `<div class="tilebox"><h4>its ${l.p} copies filling the ${g.N} × ${g.K} weights</h4>${img(tensor.png, tensor.width, tensor.height, { tile: 'tensor', layer: l.index, copies: l.p }, `${name} weights as ${l.p} tile copies`)}</div>`,
    ];
    const bl = bnnLayers[wi];
    if (bnn && bl && weightCount(bl) === g.n) {
      const w = checkpointTensor(bnn.checkpoint, `${bl.name}.tile`, g.n, bnn.file);
      const bi = bnnImage(w, g.N, g.K);
      parts.push(`<div class="tilebox"><h4>BNN ${esc(bl.name)}: ${fmt(g.n)} independent bits (${esc(bnn.file)})</h4>${img(bi.png, bi.width, bi.height, { tile: 'bnn', layer: l.index }, `${bl.name} BNN weights`)}</div>`);
    }
    const layout = g.rows ? `ROWS: ${g.rowCount} distinct filters, each used by ${l.p} output channels${l.reuse ? ' (computed once per position: reuse)' : ''}` : `STREAM: the copies cross filter boundaries (p does not divide ${g.N})`;
    blocks.push(
      `<figure data-figure="tile" data-layer="${l.index}"><h3>${esc(name)} (layer ${l.index}, ${esc(l.kind)} ${l.inShape.join('×')} → ${l.outShape.join('×')}, p = ${l.p})</h3><div class="row">${parts.join('')}</div>` +
        `<figcaption>One pixel per weight, rows = output channels, columns = filter (kernel positions × input channels); <span class="sw plus"></span> +1, <span class="sw minus"></span> −1 (${pct(minus / g.q)} of the tile); lighter: odd-numbered copies. ${esc(layout)}. Bits read from ${esc(p.file)}${trainedBy}. ${cmd}</figcaption></figure>`,
    );
  }
  const none = blocks.length === 0 ? note('No tiled layer (p > 1) in this model.') : '';
  const noBnn = bnn ? '' : note('Give a BNN checkpoint (same architecture) to see its weights of each layer beside the tile.');
  return `<section id="tiles"><h2>The tiles</h2>${none}${noBnn}${blocks.join('')}</section>`;
}

// ---------------------------------------------------------------- device

async function monitorSection(m: { file: string; log: MonitorLog }, cmd: string): Promise<string> {
  const log = m.log;
  const classes = [...new Set(log.predictions.map((p) => p.label))];
  const figs: Figure[] = [];
  figs.push(await chart('inference-time', latencySpec(log.predictions.map((p) => ({ ms: p.micros / 1000 })), 'inference on the board, ms'), `Inference time the board measured for each prediction. From ${esc(m.file)}. ${cmd}`));
  const series = "predicted (no true label: the board's own sensor)";
  const rows = log.predictions.map((p, index) => ({ index, cls: p.label, series }));
  figs.push(await chart('timeline', timelineSpec(rows, classes, { domain: [series], range: ['#1f77b4'] }), `${log.predictions.length} predictions in ${log.seconds.toFixed(1)} s${log.sensor ? ` from the ${esc(log.sensor.kind)} at ${log.sensor.rateHz} Hz` : ''}. From ${esc(m.file)}. ${cmd}`));
  const counters = Object.entries(log.counters).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${fmt(v)}</td></tr>`).join('');
  const since = Object.entries(log.since ?? {}).map(([k, v]) => `<tr><td>since start: ${esc(k)}</td><td>${fmt(v)}</td></tr>`).join('');
  const errors = log.errors.length > 0 ? `<tr><td>errors</td><td>${log.errors.map((e) => `${e.code}: ${esc(e.message)}`).join('; ')}</td></tr>` : '';
  return `<section id="device"><h2>On the device</h2><div class="row">${figs.map((f) => f.html).join('')}<div><h3>Counters</h3><table data-table="device"><tbody>${counters}${since}${errors}</tbody></table></div></div></section>`;
}

async function deviceSection(input: ReportInput, cmd: string): Promise<string> {
  const st = input.stream;
  if (!st && input.monitor) return monitorSection(input.monitor, cmd);
  if (!st) return `<section id="device"><h2>On the device</h2>${note('Give --stream FILE (a <code>tbn stream --json</code> report or a <code>tbn monitor --json</code> log) to see latency, predictions over time and the device counters.')}</section>`;
  const r = st.report;
  const figs: Figure[] = [];
  const lat = r.latenciesMs ?? [];
  if (lat.length > 0) figs.push(await chart('latency', latencySpec(lat.map((ms) => ({ ms }))), `mean ${r.latencyMs.mean.toFixed(2)} ms, p50 ${r.latencyMs.p50.toFixed(2)}, p95 ${r.latencyMs.p95.toFixed(2)}, max ${r.latencyMs.max.toFixed(2)} ms (${esc(r.mode)} mode). From ${esc(st.file)}. ${cmd}`));
  const tl = r.timeline ?? [];
  if (tl.length > 0) {
    const rows = tl.flatMap((p, index) => {
      const out = [];
      if (p.truth >= 0) out.push({ index, cls: r.classes[p.truth] as string, series: 'true label' });
      out.push({ index, cls: r.classes[p.predicted] ?? String(p.predicted), series: p.predicted === p.truth ? 'correct' : 'wrong' });
      return out;
    });
    figs.push(await chart('timeline', timelineSpec(rows, r.classes), `${tl.length} predictions from ${r.recordings?.length ?? '?'} recordings in order; truth = label of the window's centre sample. From ${esc(st.file)}. ${cmd}`));
  }
  const missing = lat.length === 0 || tl.length === 0 ? note(`${esc(st.file)} has no per-prediction ${lat.length === 0 ? 'latencies' : ''}${lat.length === 0 && tl.length === 0 ? ' or ' : ''}${tl.length === 0 ? 'timeline' : ''} (written by newer tbn stream --json); only the summary is shown.`) : '';
  const counters = Object.entries(r.deviceCounters).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${fmt(v)}</td></tr>`).join('');
  const host = Object.entries(r.hostReceiveErrors ?? {}).map(([k, v]) => `<tr><td>host ${esc(k)}</td><td>${fmt(v)}</td></tr>`).join('');
  const summary = `<table data-table="device"><tbody><tr><td>predictions</td><td>${fmt(r.predictions)} of ${fmt(r.expected)} windows, accuracy ${pct(r.accuracy)}</td></tr><tr><td>link</td><td>${fmt(r.framesSent)} frames in ${r.seconds.toFixed(2)} s (${r.framesPerSecond.toFixed(0)} frames/s, ${r.samplesPerSecond.toFixed(0)} samples/s), ${fmt(r.retransmittedFrames)} resent</td></tr><tr><td>inference on the device</td><td>mean ${r.inferenceMicros.mean.toFixed(0)} µs, max ${r.inferenceMicros.max.toFixed(0)} µs</td></tr>${counters}${host}</tbody></table>`;
  return `<section id="device"><h2>On the device</h2>${missing}<div class="row">${figs.map((f) => f.html).join('')}<div><h3>Counters</h3>${summary}</div></div></section>`;
}

// ---------------------------------------------------------------- cost

/** The kernels compared: TBN-p with and without reuse, BNN, and the int8/float32 baselines (however the bench names their variants). */
const COST_ROW = /^(TBN-p reuse|TBN-p no reuse|BNN|int8|float32)/;

async function costSection(input: ReportInput, cmd: string): Promise<string> {
  const b = input.bench;
  if (!b) return `<section id="cost"><h2>Cost</h2>${note('Give --bench DIR (the folder holding boards.json from <code>npm run bench boards</code>) to see instructions per inference and per layer on each emulated core.')}</section>`;
  const rows = b.json.rows.filter((r) => COST_ROW.test(r.row) && !r.row.includes('TBN_SMALL'));
  const variants = [...new Set(rows.map((r) => r.row))];
  const bars = rows.map((r) => ({ board: r.board, variant: r.row, instructions: r.instructions }));
  // A log axis: a layer that ran no instruction (none measured) has no bar.
  const layerBars = rows.flatMap((r) => r.perLayer.map((n, i) => ({ board: r.board, variant: r.row, layer: `${i}: ${b.json.network[i]}`, instructions: n }))).filter((x) => x.instructions >= 1);
  const layers = b.json.network.map((n, i) => `${i}: ${n}`);
  const how = `Mean of ${b.json.windows ?? '?'} test windows, kernel -${esc(b.json.opt ?? '?')}, from ${esc(b.file)} (npm run bench boards: the trained HAR network, not necessarily the model above). ${cmd}`;
  const figs = [await chart('cost', costSpec(bars, variants), how), await chart('cost-layers', costLayersSpec(layerBars, variants, layers), how)];
  const table = `<table data-table="cost"><thead><tr><th>core</th><th>kernel</th><th>instructions</th><th>instr/MAC</th><th>flash B</th><th>RAM B</th></tr></thead><tbody>${rows
    .map((r) => `<tr><td>${esc(r.board)}</td><td>${esc(r.row)}</td><td>${fmt(r.instructions)}</td><td>${r.instrPerMac?.toFixed(3) ?? '-'}</td><td>${r.flashBytes !== undefined ? fmt(r.flashBytes) : '-'}</td><td>${r.ramBytes !== undefined ? fmt(r.ramBytes) : '-'}</td></tr>`)
    .join('')}</tbody></table>`;
  return `<section id="cost"><h2>Cost</h2><div class="row">${figs.map((f) => f.html).join('')}</div>${table}</section>`;
}

// ---------------------------------------------------------------- page

const CSS = `
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}h3{font-size:14px;margin:6px 0}h4{font-size:12px;margin:4px 0;font-weight:normal;color:#444}
.row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
figure{margin:0 0 12px;max-width:100%;flex:0 1 auto}figcaption{font-size:11px;color:#555;width:0;min-width:100%}figcaption ul{margin:4px 0;padding-left:16px}
.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4}
pre{font-size:11px;background:#f7f7f7;padding:8px;overflow-x:auto}
code{background:#f2f2f2;padding:0 3px}
.note{font-size:12px;color:#555;background:#fffbe6;border-left:3px solid #e0c060;padding:4px 8px}
img.bits{image-rendering:pixelated;image-rendering:crisp-edges;border:1px solid #999;max-width:100%;height:auto}
.tilebox{max-width:100%}
.sw{display:inline-block;width:10px;height:10px;border:1px solid #666;vertical-align:middle}.sw.plus{background:rgb(240,173,78)}.sw.minus{background:rgb(33,62,120)}
nav a{margin-right:12px;font-size:13px}
`;

/** Builds the page. Throws TbnError naming the file when an input is inconsistent. */
export async function buildReport(input: ReportInput): Promise<string> {
  if (input.models.length === 0 && !input.packed) throw new TbnError('E_INPUT', 'tbn report needs at least one checkpoint or a .tbn model');
  const names = labels(input.models);
  const cmd = `<span class="cmd">Command: <code>${esc(input.command)}</code></span>`;
  const sections = [
    input.models.length > 0 ? await trainingSection(input, names, cmd) : '',
    await accuracySection(input, names, cmd),
    await sizeSection(input, cmd),
    tilesSection(input, cmd),
    await deviceSection(input, cmd),
    await costSection(input, cmd),
  ];
  const title = input.title ?? `tbn report: ${[...names, ...(input.packed && input.models.length === 0 ? [input.packed.label] : [])].join(', ')}`;
  const created = input.created ?? new Date().toISOString();
  const data = [...new Set(input.models.map((m) => m.checkpoint.metrics.data ?? 'not recorded'))];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p>${cmd}<br>Written ${esc(created)}. Board: ${esc(input.board.name)} (${esc(input.board.title)}). Data: ${data.map(esc).join('; ') || 'none'}.</p>
<nav><a href="#training">Training</a><a href="#accuracy">Accuracy</a><a href="#size">Size</a><a href="#tiles">Tiles</a><a href="#device">Device</a><a href="#cost">Cost</a></nav>
${sections.join('\n')}
<p class="note">Charts: Vega-Lite ${esc(VEGA_LITE_VERSION)} rendered to SVG when the report was written; no script runs in this page and nothing is loaded from the network.</p>
</body></html>
`;
}

