/**
 * Charts of `tbn report`: Vega-Lite specifications compiled with vega-lite and
 * rendered by vega to SVG strings in Node (no canvas, no browser, no network),
 * so the page needs no script to show them. Every mark layer that a test counts
 * has a `name`: vega writes it as the class `<name>_marks` on the mark's group.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** A Vega-Lite unit or layered specification without data-loading options (data is always inline values). */
export type ChartSpec = Record<string, unknown>;

const CONFIG = {
  font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0, titleLimit: 0 },
  title: { fontSize: 13, anchor: 'start' },
  view: { stroke: '#ddd' },
};

/** Renders a Vega-Lite spec to a standalone SVG string. */
export async function renderChart(spec: ChartSpec): Promise<string> {
  const compiled = vl.compile({ ...spec, config: { ...CONFIG, ...((spec.config as object | undefined) ?? {}) } } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface CurvePoint {
  model: string;
  split: string;
  epoch: number;
  value: number;
}

export interface FaintCurvePoint extends CurvePoint {
  run: string;
}

const MODEL_LEGEND = { symbolOpacity: 1, symbolStrokeWidth: 3 };

/**
 * One metric per epoch: a solid/dashed line per model and split (layer `curves`), and the
 * learning-rate-selection runs (each lr, each cross-validation fold) as faint lines (layer `runs`).
 */
export function curvesSpec(title: string, metric: string, main: CurvePoint[], faint: FaintCurvePoint[], percent: boolean): ChartSpec {
  const y = { field: 'value', type: 'quantitative', title: metric, ...(percent ? { axis: { format: '.0%' }, scale: { zero: false } } : { scale: { zero: false } }) };
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } };
  const layers: ChartSpec[] = [];
  if (faint.length > 0) {
    layers.push({
      name: 'runs',
      data: { values: faint },
      mark: { type: 'line', opacity: 0.22, strokeWidth: 1 },
      // The legend is shared with the curves: opaque symbols, not this layer's faint ones.
      encoding: { x, y, color: { field: 'model', type: 'nominal', title: 'model', legend: MODEL_LEGEND }, detail: { field: 'run' } },
    });
  }
  layers.push({
    name: 'curves',
    data: { values: main },
    mark: { type: 'line', point: false, strokeWidth: 2 },
    encoding: {
      x,
      y,
      color: { field: 'model', type: 'nominal', title: 'model', legend: MODEL_LEGEND },
      strokeDash: { field: 'split', type: 'nominal', title: 'split' },
    },
  });
  return { title, width: 380, height: 240, layer: layers };
}

export interface CandidatePoint {
  model: string;
  lr: number;
  accuracy: number;
  chosen: string;
  how: string;
}

/** Validation accuracy of each learning rate tried, the chosen one drawn filled and larger. */
export function lrSpec(points: CandidatePoint[]): ChartSpec {
  return {
    title: 'Learning-rate selection (chosen rate filled)',
    width: 300,
    height: 200,
    data: { values: points },
    layer: [
      {
        mark: { type: 'line', opacity: 0.5 },
        encoding: {
          x: { field: 'lr', type: 'quantitative', scale: { type: 'log' }, title: 'learning rate' },
          y: { field: 'accuracy', type: 'quantitative', axis: { format: '.0%' }, scale: { zero: false }, title: 'selection accuracy' },
          color: { field: 'model', type: 'nominal' },
        },
      },
      {
        name: 'lr_points',
        mark: { type: 'point', size: 80 },
        encoding: {
          x: { field: 'lr', type: 'quantitative', scale: { type: 'log' } },
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'model', type: 'nominal' },
          shape: { field: 'how', type: 'nominal', title: 'measured on' },
          fill: { condition: { test: "datum.chosen === 'chosen'", field: 'model', type: 'nominal' }, value: 'white' },
          size: { condition: { test: "datum.chosen === 'chosen'", value: 160 }, value: 60 },
        },
      },
    ],
  };
}

export interface ConfusionCell {
  truth: string;
  predicted: string;
  count: number;
  /** Share of the true class's examples. */
  share: number;
}

/** C×C heatmap (layer `cells`), rows the true class and columns the predicted, class names in full. */
export function confusionSpec(title: string, classes: string[], cells: ConfusionCell[]): ChartSpec {
  const side = Math.max(160, Math.min(420, 34 * classes.length));
  const axis = { labelLimit: 0, labelAngle: 0 };
  return {
    title,
    width: side,
    height: side,
    data: { values: cells },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: classes, title: 'predicted', axis: { ...axis, labelAngle: -40 } },
      y: { field: 'truth', type: 'ordinal', sort: classes, title: 'true class', axis },
    },
    layer: [
      {
        name: 'cells',
        mark: { type: 'rect' },
        encoding: {
          color: { field: 'share', type: 'quantitative', title: 'share of true class', scale: { domain: [0, 1], scheme: 'blues' }, legend: { format: '.0%' } },
        },
      },
      {
        mark: { type: 'text', fontSize: classes.length > 8 ? 9 : 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.55', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

export interface LayerBar {
  layer: string;
  order: number;
  format: string;
  bytes: number;
}

export const SIZE_FORMATS = ['FP32', 'int8', 'BNN (p=1)', 'TBN (this file)'] as const;

/** Bytes per weight layer for each format side by side (layer `layer_bars`), log scale. */
export function layerBarsSpec(bars: LayerBar[], layerOrder: string[]): ChartSpec {
  return {
    title: 'Bytes per weight layer (log scale)',
    width: Math.max(260, 90 * layerOrder.length),
    height: 240,
    data: { values: bars },
    layer: [
      {
        name: 'layer_bars',
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'layer', type: 'nominal', sort: layerOrder, title: 'weight layer', axis: { labelAngle: 0 } },
          xOffset: { field: 'format', type: 'nominal', sort: [...SIZE_FORMATS] },
          y: { field: 'bytes', type: 'quantitative', scale: { type: 'log' }, title: 'bytes' },
          // A log axis has no zero: bars start at 1 byte.
          y2: { datum: 1 },
          color: { field: 'format', type: 'nominal', sort: [...SIZE_FORMATS], title: 'format' },
        },
      },
    ],
  };
}

export interface TotalBar {
  format: string;
  bytes: number;
}

export interface BudgetLine {
  budget: string;
  bytes: number;
}

/** Total bytes per format against the board's budgets (rules, layer `budgets`). */
export function totalsSpec(title: string, bars: TotalBar[], budgets: BudgetLine[], order: string[]): ChartSpec {
  return {
    title,
    width: 300,
    height: 220,
    layer: [
      {
        name: 'total_bars',
        data: { values: bars },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'format', type: 'nominal', sort: order, title: null, axis: { labelAngle: 0 } },
          y: { field: 'bytes', type: 'quantitative', scale: { type: 'log' }, title: 'bytes' },
          y2: { datum: 1 },
          color: { field: 'format', type: 'nominal', sort: order, legend: null },
        },
      },
      {
        name: 'budgets',
        data: { values: budgets },
        mark: { type: 'rule', strokeDash: [6, 3], strokeWidth: 2, color: '#c0392b' },
        encoding: { y: { field: 'bytes', type: 'quantitative' } },
      },
      {
        data: { values: budgets },
        mark: { type: 'text', align: 'right', dy: -6, color: '#c0392b', x: 'width' },
        encoding: { y: { field: 'bytes', type: 'quantitative' }, text: { field: 'budget' } },
      },
    ],
  };
}

/** Histogram of prediction latencies (layer `latency_bars`). */
export function latencySpec(latencies: { ms: number }[], axisTitle = 'latency, ms (last sample sent to prediction received)'): ChartSpec {
  return {
    title: `${axisTitle.split(',')[0]?.replace(/^./, (c) => c.toUpperCase())} (${latencies.length} predictions)`,
    width: 360,
    height: 200,
    data: { values: latencies },
    layer: [
      {
        name: 'latency_bars',
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'ms', type: 'quantitative', bin: { maxbins: 30 }, title: axisTitle },
          y: { aggregate: 'count', type: 'quantitative', title: 'predictions' },
        },
      },
    ],
  };
}

export interface TimelineRow {
  index: number;
  cls: string;
  series: string;
}

/** Predicted class per window in arrival order against the true label. */
export function timelineSpec(rows: TimelineRow[], classes: string[], colours: { domain: string[]; range: string[] } = { domain: ['correct', 'wrong'], range: ['#2e7d32', '#d32f2f'] }): ChartSpec {
  return {
    title: 'Predictions over time against the true label',
    width: 640,
    height: Math.max(120, 22 * classes.length),
    data: { values: rows },
    layer: [
      {
        name: 'truth_line',
        transform: [{ filter: "datum.series === 'true label'" }],
        mark: { type: 'line', interpolate: 'step-after', color: '#999', strokeWidth: 3, opacity: 0.6 },
        encoding: {
          x: { field: 'index', type: 'quantitative', title: 'prediction (in arrival order)' },
          y: { field: 'cls', type: 'ordinal', sort: classes, title: null, axis: { labelLimit: 0 } },
        },
      },
      {
        name: 'predicted_points',
        transform: [{ filter: "datum.series !== 'true label'" }],
        mark: { type: 'point', filled: true, size: 14 },
        encoding: {
          x: { field: 'index', type: 'quantitative' },
          y: { field: 'cls', type: 'ordinal', sort: classes },
          color: { field: 'series', type: 'nominal', title: 'prediction', scale: colours },
        },
      },
    ],
  };
}

export interface CostBar {
  board: string;
  variant: string;
  instructions: number;
}

/** Instructions per inference per emulated core and variant. */
export function costSpec(bars: CostBar[], variants: string[]): ChartSpec {
  return {
    title: 'Instructions per inference (exact, QEMU TCG plugin)',
    width: 420,
    height: 240,
    data: { values: bars },
    layer: [
      {
        name: 'cost_bars',
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'board', type: 'nominal', title: 'emulated core', axis: { labelAngle: 0 } },
          xOffset: { field: 'variant', type: 'nominal', sort: variants },
          y: { field: 'instructions', type: 'quantitative', scale: { type: 'log' }, title: 'instructions (log scale)' },
          y2: { datum: 1 },
          color: { field: 'variant', type: 'nominal', sort: variants, title: 'kernel' },
        },
      },
    ],
  };
}

export interface CostLayerBar extends CostBar {
  layer: string;
}

/** Instructions per layer, one panel per core. */
export function costLayersSpec(bars: CostLayerBar[], variants: string[], layers: string[]): ChartSpec {
  return {
    title: 'Instructions per layer on each core',
    data: { values: bars },
    facet: { column: { field: 'board', type: 'nominal', title: null } },
    spec: {
      width: Math.max(200, 60 * layers.length),
      height: 200,
      layer: [
        {
          name: 'cost_layer_bars',
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'layer', type: 'nominal', sort: layers, title: 'layer', axis: { labelAngle: -30 } },
            xOffset: { field: 'variant', type: 'nominal', sort: variants },
            y: { field: 'instructions', type: 'quantitative', scale: { type: 'log' }, title: 'instructions (log scale)' },
            y2: { datum: 1 },
            color: { field: 'variant', type: 'nominal', sort: variants, title: 'kernel' },
          },
        },
      ],
    },
  };
}
