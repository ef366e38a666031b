/**
 * The report in a real browser: Debian's chromium, headless, driven by playwright-core. The demo's page
 * (synthetic data, 2 epochs) and a side-by-side FP32/BNN/TBN page are opened from disk; the test counts
 * the marks of every figure from what it knows independently (models trained, classes and layers of
 * the .tbn read with host/format/reader.ts), decodes one tile picture's pixels and compares them bit
 * for bit with the packed tile, and saves screenshots under build/report-test/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSplits } from '../../host/data/select.ts';
import type { PackedLayer, PackedModel } from '../../host/format/model.ts';
import { readModel } from '../../host/format/reader.ts';
import { makeReport } from '../../host/report/index.ts';
import { runDemo, type DemoResult } from '../../host/demo/run-demo.ts';
import { decodeTensor, type Checkpoint } from '../../host/train/checkpoint.ts';
import { trainVariants } from '../../host/train/session.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'build', 'report-test');
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const WEIGHT_KINDS = new Set(['dense', 'conv1d', 'conv2d']);

/** The tile's q signs read straight from the packed words, as tbn_format.h lays them out (bit set = -1). */
function packedTileSigns(l: PackedLayer): number[] {
  const inC = l.inShape[2];
  const N = l.outShape[2];
  const K = l.kernel[0] * l.kernel[1] * inC;
  const q = (N * K) / l.p;
  const bit = (j: number) => ((l.tile[j >>> 5] as number) >>> (j & 31)) & 1;
  const signs: number[] = [];
  if (N % l.p === 0) {
    const cw = Math.ceil(inC / 32);
    const rowWords = l.kernel[0] * l.kernel[1] * cw;
    for (let r = 0; r < N / l.p; r++) {
      for (let e = 0; e < K; e++) {
        const word = r * rowWords + Math.floor(e / inC) * cw + ((e % inC) >>> 5);
        signs.push(bit(word * 32 + ((e % inC) & 31)) ? -1 : 1);
      }
    }
  } else {
    for (let j = 0; j < q; j++) signs.push(bit(j) ? -1 : 1);
  }
  return signs;
}

interface Pixels {
  width: number;
  height: number;
  rgb: (x: number, y: number) => [number, number, number];
}

function decodeDataUrl(src: string): Pixels {
  const m = /^data:image\/png;base64,(.*)$/.exec(src);
  if (!m) throw new Error(`not an inline PNG: ${src.slice(0, 40)}`);
  const png = PNG.sync.read(Buffer.from(m[1] as string, 'base64'));
  return {
    width: png.width,
    height: png.height,
    rgb: (x, y) => {
      const i = (y * png.width + x) * 4;
      return [png.data[i] as number, png.data[i + 1] as number, png.data[i + 2] as number];
    },
  };
}

function parseRgb(css: string): [number, number, number] {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(css);
  if (!m) throw new Error(`not an rgb() colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const same = (a: number[], b: number[]) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

interface Opened {
  page: Page;
  consoleErrors: string[];
  foreignRequests: string[];
}

async function open(ctx: BrowserContext, file: string): Promise<Opened> {
  const page = await ctx.newPage();
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && u !== `file://${file}`) foreignRequests.push(u);
  });
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 30_000 });
  return { page, consoleErrors, foreignRequests };
}

const count = (page: Page, selector: string) => page.locator(selector).count();

const SUITE = haveChromium
  ? 'tbn report in headless Chromium (/usr/bin/chromium)'
  : "tbn report in headless Chromium: skipped, /usr/bin/chromium is absent (scripts/setup.sh installs Debian's chromium)";

describe.skipIf(!haveChromium)(SUITE, () => {
  let ctx: BrowserContext;
  let profile: string;
  let work: string;
  let demo: DemoResult;
  let demoModel: PackedModel;
  let sideBySide: string;
  let checkpoints: Checkpoint[];
  let sidePacked: PackedModel;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    work = mkdtempSync(path.join(tmpdir(), 'tbn-report-'));
    demo = await runDemo({ synthetic: true, epochs: 2, outDir: path.join(work, 'demo') });
    demoModel = readModel(new Uint8Array(readFileSync(demo.modelFile)));

    // FP32, BNN and TBN side by side as tbn train does it: two learning rates each chosen on val, then the refit on train + val.
    const splits = loadSplits({ data: 'synthetic', limit: 400 }, 3);
    const results = trainVariants(splits, {
      arch: 'conv1d:16x5 conv1d:32x5 gap', variants: ['fp32', 'bnn', 'tbn'], activation: 'sign', alpha: 'weight', p: 4, layerP: [1, 4, 1],
      minTileSize: 64, epochs: 2, batch: 32, lrs: [1e-3, 3e-3], weightDecay: 1e-4, seed: 3, slim: true, refit: true,
    });
    checkpoints = results.map((r) => r.checkpoint);
    const bench = {
      network: ['conv1d', 'conv1d', 'gap', 'dense'],
      windows: 4,
      opt: 'O2',
      rows: ['stm32f405', 'esp32c3'].flatMap((board, b) =>
        ['TBN-p reuse', 'BNN (p=1)', 'int8'].map((row, k) => ({ board, row, instructions: 1000 * (b + 1) * (k + 1), perLayer: [400, 300, 200, 100].map((v) => v * (k + 1)) })),
      ),
    };
    const html = await makeReport({
      command: 'test/report/browser.test.ts side by side',
      models: results.map((r, i) => ({ file: `side-${r.variant}-${i}.ckpt.json`, checkpoint: r.checkpoint })),
      bench: { file: 'fixture boards.json', json: bench },
    });
    sideBySide = path.join(work, 'side.html');
    writeFileSync(sideBySide, html);
    const tbnCkpt = checkpoints.find((c) => c.spec.variant === 'tbn') as Checkpoint;
    const { packModel } = await import('../../host/format/pack.ts');
    const { exportFloatModel } = await import('../../host/train/export.ts');
    sidePacked = readModel(packModel(exportFloatModel(tbnCkpt)));

    profile = mkdtempSync(path.join(tmpdir(), 'tbn-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
  }, 300_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the demo wrote its report and says where', () => {
    expect(demo.reportFile).toBe(path.join(work, 'demo', 'report.html'));
    expect(existsSync(demo.reportFile as string)).toBe(true);
  });

  it('demo report: no console errors, nothing fetched, every figure with the expected marks, screenshots saved', async () => {
    const { page, consoleErrors, foreignRequests } = await open(ctx, demo.reportFile as string);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(await count(page, 'script')).toBe(0);

    // One model (TBN) trained with a validation split: a train and a val curve in each chart.
    expect(await count(page, '[data-figure="training-loss"] g.curves_marks path')).toBe(2);
    expect(await count(page, '[data-figure="training-accuracy"] g.curves_marks path')).toBe(2);

    // Confusion matrices: float, packed and device, each C×C with the class names written in full.
    const C = demoModel.classes.length;
    const heatmaps = page.locator('[data-figure="confusion"]');
    expect(await heatmaps.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(await heatmaps.nth(i).locator('g.cells_marks path').count()).toBe(C * C);
      const text = await heatmaps.nth(i).locator('svg').textContent();
      for (const name of demoModel.classes) expect(text).toContain(name);
    }

    // Per-layer sizes: L weight layers × 4 formats; totals with the board's budget rules.
    const L = demoModel.layers.filter((l) => WEIGHT_KINDS.has(l.kind)).length;
    expect(await count(page, '[data-figure="layer-sizes"] g.layer_bars_marks path')).toBe(4 * L);
    expect(await count(page, '[data-figure="flash-totals"] g.total_bars_marks path')).toBe(4);
    expect(await count(page, '[data-figure="flash-totals"] g.budgets_marks line, [data-figure="flash-totals"] g.budgets_marks path')).toBe(2);
    expect(await page.locator('pre[data-inspect]').textContent()).toContain(`file: ${demoModel.fileBytes} B`);

    // One tile picture (and one tensor picture) per tiled layer.
    const tiled = demoModel.layers.filter((l) => WEIGHT_KINDS.has(l.kind) && l.p > 1);
    expect(tiled.length).toBeGreaterThan(0);
    expect(await count(page, 'img[data-tile="tile"]')).toBe(tiled.length);
    expect(await count(page, 'img[data-tile="tensor"]')).toBe(tiled.length);

    // Device: a latency histogram, one point per prediction streamed, the counters.
    expect(await count(page, '[data-figure="latency"] g.latency_bars_marks path')).toBeGreaterThan(0);
    expect(await count(page, '[data-figure="timeline"] g.predicted_points_marks path')).toBe(demo.report.predictions);
    expect(await page.locator('table[data-table="device"]').textContent()).toContain('framesOk');

    // Every figure states the command behind it.
    const figures = page.locator('figure');
    for (let i = 0; i < (await figures.count()); i++) expect(await figures.nth(i).locator('figcaption').textContent()).toContain('tbn demo --epochs 2 --synthetic');

    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-report.png'), fullPage: true });
    for (const id of ['training', 'accuracy', 'size', 'tiles', 'device']) await page.locator(`section#${id}`).screenshot({ path: path.join(ARTIFACTS, `demo-${id}.png`) });
    expect(existsSync(path.join(ARTIFACTS, 'demo-tiles.png'))).toBe(true);
    await page.close();
  });

  it('the tile image is the tile: its pixels, in the PNG source and as the browser decodes them, equal the packed tile bit for bit', async () => {
    const { page } = await open(ctx, demo.reportFile as string);
    // The two colours as the page's legend shows them.
    const plus = parseRgb((await page.evaluate("getComputedStyle(document.querySelector('.sw.plus')).backgroundColor")) as string);
    const minus = parseRgb((await page.evaluate("getComputedStyle(document.querySelector('.sw.minus')).backgroundColor")) as string);
    expect(same(plus, minus)).toBe(false);
    const tiled = demoModel.layers.filter((l) => WEIGHT_KINDS.has(l.kind) && l.p > 1);
    for (const layer of tiled) {
      const expected = packedTileSigns(layer);
      const K = layer.kernel[0] * layer.kernel[1] * layer.inShape[2];
      const img = page.locator(`img[data-tile="tile"][data-layer="${layer.index}"]`);
      const src = (await img.getAttribute('src')) as string;
      const px = decodeDataUrl(src);
      expect(px.width).toBe(K);
      expect(px.height).toBe(Math.ceil(expected.length / K));
      const fromPng: number[] = [];
      for (let j = 0; j < expected.length; j++) {
        const c = px.rgb(j % K, Math.floor(j / K));
        expect(same(c, plus) || same(c, minus)).toBe(true);
        fromPng.push(same(c, minus) ? -1 : 1);
      }
      expect(fromPng).toEqual(expected);
      // What the browser decoded (drawn at natural size on a canvas).
      // The page has no DOM types here (the project's lib is ES only): the browser-side code is a string.
      const drawn = (await page.evaluate(`(() => {
        const el = document.querySelector('img[data-tile="tile"][data-layer="${layer.index}"]');
        const c = document.createElement('canvas');
        c.width = el.naturalWidth;
        c.height = el.naturalHeight;
        const g = c.getContext('2d');
        g.drawImage(el, 0, 0);
        return Array.from(g.getImageData(0, 0, c.width, c.height).data);
      })()`)) as number[];
      const fromBrowser = expected.map((_, j) => {
        const i = 4 * (Math.floor(j / K) * K + (j % K));
        return same([drawn[i] as number, drawn[i + 1] as number, drawn[i + 2] as number], minus) ? -1 : 1;
      });
      expect(fromBrowser).toEqual(expected);
      // The tensor picture: w(o, e) = tile[(o*K + e) mod q]; every copy reads warm (+1) or cool (-1).
      const tensor = decodeDataUrl((await page.locator(`img[data-tile="tensor"][data-layer="${layer.index}"]`).getAttribute('src')) as string);
      const N = layer.outShape[2];
      expect([tensor.width, tensor.height]).toEqual([K, N]);
      for (let o = 0; o < N; o++) {
        for (let e = 0; e < K; e++) {
          const [r, , b] = tensor.rgb(e, o);
          expect(r > b ? 1 : -1).toBe(expected[(o * K + e) % expected.length]);
        }
      }
    }
    await page.close();
  });

  it('side-by-side report: one curve per model and split, the other lr as faint lines, BNN weights beside each tile, cost bars', async () => {
    const { page, consoleErrors, foreignRequests } = await open(ctx, sideBySide);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    // 3 models × (the refit on train+val, val of the chosen rate's run on train); every selection run (2 rates × 3 models) faint.
    expect(await count(page, '[data-figure="training-loss"] g.curves_marks path')).toBe(6);
    expect(await count(page, '[data-figure="training-accuracy"] g.curves_marks path')).toBe(6);
    expect(await count(page, '[data-figure="training-accuracy"] g.runs_marks path')).toBe(6);
    expect(await count(page, '[data-figure="training-loss"] g.runs_marks path')).toBe(6);
    // Both rates of every model in the lr figure.
    expect(await count(page, '[data-figure="learning-rate"] g.lr_points_marks path')).toBe(6);
    const L = sidePacked.layers.filter((l) => WEIGHT_KINDS.has(l.kind)).length;
    expect(await count(page, '[data-figure="layer-sizes"] g.layer_bars_marks path')).toBe(4 * L);
    const tiled = sidePacked.layers.filter((l) => WEIGHT_KINDS.has(l.kind) && l.p > 1);
    expect(await count(page, 'img[data-tile="tile"]')).toBe(tiled.length);
    expect(await count(page, 'img[data-tile="bnn"]')).toBe(tiled.length);
    // The BNN picture is the BNN checkpoint's signs.
    const bnn = checkpoints.find((c) => c.spec.variant === 'bnn') as Checkpoint;
    const weightNames = bnn.spec.layers.filter((l) => WEIGHT_KINDS.has(l.kind)).map((l) => (l as { name: string }).name);
    const weightIndex = sidePacked.layers.filter((l) => WEIGHT_KINDS.has(l.kind)).indexOf(tiled[0] as PackedLayer);
    const signs = decodeTensor(bnn.tensors[`${weightNames[weightIndex]}.tile`] as Checkpoint['tensors'][string], 'bnn tile');
    const px = decodeDataUrl((await page.locator(`img[data-tile="bnn"][data-layer="${tiled[0]?.index}"]`).getAttribute('src')) as string);
    const decoded: number[] = [];
    for (let y = 0; y < px.height; y++) for (let x = 0; x < px.width; x++) decoded.push(px.rgb(x, y)[0] > px.rgb(x, y)[2] ? 1 : -1);
    expect(decoded).toEqual(Array.from(signs));
    // Cost: 2 cores × 3 kernels, and per layer.
    expect(await count(page, '[data-figure="cost"] g.cost_bars_marks path')).toBe(6);
    expect(await count(page, '[data-figure="cost-layers"] g.cost_layer_bars_marks path')).toBe(6 * 4);
    await page.screenshot({ path: path.join(ARTIFACTS, 'side-by-side-report.png'), fullPage: true });
    await page.close();
  });
});
