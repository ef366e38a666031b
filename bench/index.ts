/**
 * `npm run bench [-- name ...]`: runs the benchmarks side by side and prints
 * their tables; every number is measured in this run. Results also go to
 * build/bench/<name>.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface BenchResult {
  title: string;
  text: string;
  json: unknown;
}

const here = dirname(fileURLToPath(import.meta.url));
// accuracy and har-workflow are opt-in (long): they run only when named.
const BENCHES = ['format', 'kernel', 'train', 'sim', 'boards', 'engines', 'package'];

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : BENCHES;
const outDir = resolve(here, '..', 'build', 'bench');
mkdirSync(outDir, { recursive: true });

let failed = 0;
for (const name of names) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`bench ${name}: no bench/${name}.ts`);
    failed++;
    continue;
  }
  const started = Date.now();
  try {
    const mod = (await import(file)) as { run: () => Promise<BenchResult> };
    const result = await mod.run();
    console.log(`\n=== ${result.title} (${((Date.now() - started) / 1000).toFixed(1)} s)\n${result.text}`);
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify(result.json, null, 2));
  } catch (e) {
    failed++;
    console.error(`bench ${name} failed: ${(e as Error).stack ?? e}`);
  }
}
process.exitCode = failed ? 1 : 0;
