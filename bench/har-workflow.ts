/**
 * `npm run bench -- har-workflow` (opt-in, a few minutes): times the README's HAR command as the README writes it,
 * `tbn train --data har --layer-p 1,4,4,1 --epochs 40 --folds 3 -o out/har` (21 trainings, `--jobs` = the core
 * count, checkpoints and the HTML report written), with its -o prefix moved into a temporary folder (removed
 * afterwards): wall clock and CPU seconds, with the load average before and after (an honest wall time needs an
 * idle machine), and the test accuracy each saved checkpoint records.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultHarRoot } from '../host/data/sp-sw-har.ts';
import { loadCheckpoint } from '../host/train/checkpoint.ts';
import { modelLabel } from '../host/train/size.ts';
import { timedTbn } from './accuracy.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The README's `tbn train --data har ... -o PREFIX` line (the workflow block), as words, without its comment. */
function readmeHarCommand(): { words: string[]; prefix: string } {
  const line = readFileSync(path.join(root, 'README.md'), 'utf8').split('\n').find((l) => /^tbn train --data har .*-o \S+/.test(l));
  if (!line) throw new Error('README.md has no "tbn train --data har ... -o PREFIX" line to time');
  const words = (line.split('#')[0] as string).trim().split(/\s+/).slice(1);
  const o = words.indexOf('-o');
  return { words, prefix: words[o + 1] as string };
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const title = 'The README\'s HAR workflow, timed';
  const harRoot = defaultHarRoot();
  if (!harRoot || !existsSync(path.join(harRoot, 'README.md'))) return { title, text: 'skipped: no sp-sw-har data at ../shared/data/sp-sw-har', json: { skipped: true } };
  const { words, prefix } = readmeHarCommand();
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-har-workflow-'));
  try {
    const out = path.join(dir, path.basename(prefix));
    const args = words.map((w, i) => (i > 0 && words[i - 1] === '-o' ? out : w));
    const before = loadavg()[0] as number;
    const r = timedTbn(args);
    const after = loadavg()[0] as number;
    const vi = args.indexOf('--variants');
    const variants = vi >= 0 ? (args[vi + 1] as string).split(',') : ['fp32', 'bnn', 'tbn']; // tbn train's default
    const models = variants.map((v) => {
      const ckpt = loadCheckpoint(`${out}-${v}.ckpt.json`);
      return { variant: v, label: modelLabel(ckpt.spec), test: ckpt.metrics.test };
    });
    const report = existsSync(`${out}-report.html`);
    if (!report) throw new Error(`the command wrote no report (${out}-report.html)`);
    const text = [
      `tbn ${words.join(' ')} (${cpus().length} cores, --jobs default; -o into a temporary folder):`,
      `  ${Math.floor(r.wall / 60)} min ${Math.round(r.wall % 60)} s wall, ${Math.round(r.cpu)} CPU-seconds; load average ${before.toFixed(2)} before, ${after.toFixed(2)} after`,
      `  wrote ${models.length} checkpoints and the report; test accuracy: ${models.map((m) => `${m.label} ${(100 * (m.test?.accuracy ?? Number.NaN)).toFixed(2)}%`).join(', ')}`,
      `  goal <= 5 min wall: ${r.wall <= 300 ? 'met' : 'MISSED'}`,
    ];
    return { title, text: text.join('\n'), json: { command: words, wall: r.wall, cpu: r.cpu, loadBefore: before, loadAfter: after, models } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
