/**
 * `npm run bench -- har-workflow` (opt-in, a few minutes): times the README's HAR command,
 * `tbn train --data har --layer-p 1,4,4,1 --epochs 40 --folds 3` (21 trainings, `--jobs` = the core count),
 * wall clock and CPU seconds, with the load average before and after (an honest wall time needs an idle machine).
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { train } from './accuracy.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const HAR_ROOT = path.resolve(here, '../../shared/data/sp-sw-har');

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  const title = 'The README\'s HAR workflow, timed';
  if (!existsSync(path.join(HAR_ROOT, 'README.md'))) return { title, text: `skipped: no sp-sw-har data at ${HAR_ROOT}`, json: { skipped: true } };
  const before = loadavg()[0];
  const r = train(['--data', 'har', '--layer-p', '1,4,4,1', '--epochs', '40', '--folds', '3']);
  const after = loadavg()[0];
  const text = [
    `tbn train --data har --layer-p 1,4,4,1 --epochs 40 --folds 3 (seed 1, ${cpus().length} cores, --jobs default):`,
    `  ${Math.floor(r.wall / 60)} min ${Math.round(r.wall % 60)} s wall, ${Math.round(r.cpu)} CPU-seconds; load average ${before.toFixed(2)} before, ${after.toFixed(2)} after`,
    `  test accuracy: ${r.models.map((m) => `${m.label} ${(100 * m.test.accuracy).toFixed(2)}%`).join(', ')}`,
    `  goal <= 5 min wall: ${r.wall <= 300 ? 'met' : 'MISSED'}`,
  ];
  return { title, text: text.join('\n'), json: { wall: r.wall, cpu: r.cpu, loadBefore: before, loadAfter: after, models: r.models } };
}
