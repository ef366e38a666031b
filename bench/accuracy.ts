/**
 * `npm run bench -- accuracy` (opt-in: about an hour of both cores): reruns the README's accuracy tables
 * with the current training engine and prints them.
 * - HAR (sp-sw-har, `--folds 3`, 40 epochs, seeds 1-5): FP32, BNN, TBN-4 (sign) and TBN-4 weight-only (ReLU),
 *   mean ± sample sd of the test accuracy, the lr each seed chose.
 * - Fashion-MNIST (MLP 784-256-256-10, 20 epochs, `--lr 1e-3,3e-3`, refit), seed 1.
 * `npm run bench -- har-workflow` times the README's HAR command alone (wall and CPU).
 * TBN_ACCURACY_SEEDS=1,2 narrows the HAR seeds; TBN_ACCURACY_PARTS=har or fashion runs one part.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_DIR } from '../host/data/fashion-mnist.ts';
import { defaultHarRoot } from '../host/data/sp-sw-har.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

interface ModelResult {
  variant: string;
  label: string;
  lr: number;
  test: { accuracy: number; count: number };
}
interface TrainRun {
  models: ModelResult[];
  wall: number;
  cpu: number;
  args: string[];
}

/** CPU seconds of this process's waited-for children (Linux /proc: cutime + cstime, in clock ticks of 1/100 s). */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Runs `tbn ARGS` from the repo root and returns its stdout with the wall and CPU time it took. */
export function timedTbn(args: string[]): { stdout: string; wall: number; cpu: number } {
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(root, 'bin/tbn.js'), ...args], { encoding: 'utf8', cwd: root, timeout: 4 * 3600_000, maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`tbn ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return { stdout: r.stdout, wall, cpu: childCpuSeconds() - cpu0 };
}

/** Runs `tbn train ARGS --json --no-save --no-report` and returns its models with the wall and CPU time it took. */
export function train(args: string[]): TrainRun {
  const r = timedTbn(['train', ...args, '--json', '--no-save', '--no-report']);
  const out = JSON.parse(r.stdout) as { models: ModelResult[] };
  return { models: out.models, wall: r.wall, cpu: r.cpu, args };
}

const pct = (x: number) => (100 * x).toFixed(2);
function meanSd(xs: number[]): string {
  const mean = xs.reduce((a, v) => a + v, 0) / xs.length;
  if (xs.length < 2) return pct(mean);
  const sd = Math.sqrt(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (xs.length - 1));
  return `${pct(mean)} ± ${pct(sd)}`;
}
const minutes = (s: number) => `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
const load = () => loadavg()[0].toFixed(2);

function har(seeds: number[]): { text: string[]; json: unknown } {
  const rows = new Map<string, { accs: number[]; lrs: number[] }>();
  const runs: unknown[] = [];
  const text: string[] = [];
  for (const seed of seeds) {
    const common = ['--data', 'har', '--layer-p', '1,4,4,1', '--epochs', '40', '--folds', '3', '--seed', String(seed)];
    const loadBefore = load();
    const sign = train(common);
    const relu = train([...common, '--variants', 'tbn', '--activation', 'relu']);
    for (const m of [...sign.models, ...relu.models]) {
      const row = rows.get(m.label) ?? { accs: [], lrs: [] };
      row.accs.push(m.test.accuracy);
      row.lrs.push(m.lr);
      rows.set(m.label, row);
    }
    text.push(`seed ${seed}: ${[...sign.models, ...relu.models].map((m) => `${m.label} ${pct(m.test.accuracy)}%`).join(', ')}; ` +
      `the FP32+BNN+TBN-4 command took ${minutes(sign.wall)} wall, ${Math.round(sign.cpu)} CPU-s (load average ${loadBefore} before)`);
    runs.push({ seed, sign, relu });
  }
  const table = [
    `HAR (sp-sw-har, train s01-s14, test s15-s18; tbn train --data har --layer-p 1,4,4,1 --epochs 40 --folds 3 --seed S; seeds ${seeds.join(',')}):`,
    '| model | test accuracy, mean ± sd | per seed | lr chosen |',
    '|---|---|---|---|',
    ...[...rows].map(([label, r]) => `| ${label} | ${meanSd(r.accs)}% | ${r.accs.map(pct).join(', ')} | ${r.lrs.map((l) => l.toExponential(0)).join(', ')} |`),
  ];
  return { text: [...table, '', ...text], json: { seeds, rows: Object.fromEntries(rows), runs } };
}

function fashion(): { text: string[]; json: unknown } {
  const common = ['--data', 'fashion-mnist', '--arch', 'mlp:256,256', '--p', '4', '--epochs', '20', '--lr', '1e-3,3e-3', '--seed', '1'];
  const loadBefore = load();
  const sign = train(common);
  const relu = train([...common, '--variants', 'tbn', '--activation', 'relu']);
  const text = [
    `Fashion-MNIST (${common.join(' ')}; lr chosen on 5,000 held-out training images, then refit on all 60,000; official test set):`,
    '| model | test accuracy | lr chosen |',
    '|---|---|---|',
    ...[...sign.models, ...relu.models].map((m) => `| ${m.label} | ${pct(m.test.accuracy)}% | ${m.lr.toExponential(0)} |`),
    `took ${minutes(sign.wall + relu.wall)} wall, ${Math.round(sign.cpu + relu.cpu)} CPU-s (load average ${loadBefore} before)`,
  ];
  return { text, json: { sign, relu } };
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const parts = (process.env.TBN_ACCURACY_PARTS ?? 'har,fashion').split(',');
  const seeds = (process.env.TBN_ACCURACY_SEEDS ?? '1,2,3,4,5').split(',').map(Number);
  const text: string[] = [];
  const json: Record<string, unknown> = {};
  if (parts.includes('har')) {
    const harRoot = defaultHarRoot();
    if (!harRoot || !existsSync(path.join(harRoot, 'README.md'))) text.push(`HAR skipped: no sp-sw-har data at ${path.resolve(root, '../shared/data/sp-sw-har')}`);
    else {
      const r = har(seeds);
      text.push(...r.text, '');
      json.har = r.json;
    }
  }
  if (parts.includes('fashion')) {
    if (!existsSync(path.join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'))) {
      text.push(`Fashion-MNIST skipped: no data at ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`);
    } else {
      const r = fashion();
      text.push(...r.text);
      json.fashion = r.json;
    }
  }
  return { title: 'Accuracy tables (the README\'s, rerun with the current engine)', text: text.join('\n'), json };
}
