/**
 * `npm run test:engines` (scripts/test-engines.sh): given engine checkouts in
 * TBN_ESPRUINO_DIR (Espruino c5ff787b) and TBN_JERRY_DIR (JerryScript v3.0.0),
 * builds every firmware through `tbn firmware`, then runs
 *   - the contract suite on Espruino for Linux and on the JerryScript host main,
 *   - the device end-to-end stream (test/device/engines.test.ts) on both,
 *   - `tbn flash` into the real Espruino for Linux over a pty (test/contract/flash.test.ts),
 *   - the contract suite in JerryScript on the emulated STM32F405, as source and as snapshot,
 * and prints one table (case x engine -> pass / fail / skipped (reason)) and
 * the image size lines. Exit status 1 iff something failed.
 *
 * TBN_ENGINES_OUT: where the builds go (default build/engines).
 * TBN_ENGINES_QUICK=1: the STM32 QEMU runs take only every seventh case.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../host/cli.ts';
import type { CliIO } from '../../host/cli/command.ts';
import { harShapedModel } from '../sim/har-model.ts';
import { contractCases } from '../contract/cases.ts';
import { runContractOnQemuStm32 } from '../contract/qemu-stm32.ts';
import { type CaseOutcome, repoRoot, runInEngine, writeCases } from '../contract/runners.ts';

type Cell = { status: 'pass' | 'fail' | 'skipped'; reason?: string; detail?: string };

const espDir = process.env.TBN_ESPRUINO_DIR;
const jerryDir = process.env.TBN_JERRY_DIR;
const out = path.resolve(process.env.TBN_ENGINES_OUT ?? path.join(repoRoot, 'build', 'engines'));
const quick = process.env.TBN_ENGINES_QUICK === '1';
mkdirSync(out, { recursive: true });

const COLUMNS = ['espruino linux', 'espruino stm32 (build)', 'jerryscript linux', 'jerryscript stm32f405 qemu', 'jerryscript stm32f405 qemu snapshot'] as const;
type Column = (typeof COLUMNS)[number];
const table = new Map<string, Map<Column, Cell>>();
const sizes: string[] = [];
const set = (row: string, col: Column, cell: Cell) => {
  if (!table.has(row)) table.set(row, new Map());
  table.get(row)!.set(col, cell);
};
const log = (s: string) => process.stderr.write(`${s}\n`);
const fromOutcome = (r: CaseOutcome): Cell => ({ status: r.status, reason: r.reason, detail: r.status === 'fail' ? r.output : undefined });

function captureIO(): CliIO & { text: () => string; stdout: string[] } {
  const stdout: string[] = [];
  const all: string[] = [];
  return {
    stdout,
    text: () => all.join('\n'),
    out: (t) => {
      stdout.push(t);
      all.push(t);
    },
    err: (t) => all.push(t),
    interactive: false,
  };
}

interface Built {
  image: string;
  elf?: string;
  snapshotTool?: string;
  outDir: string;
  size: { line: string };
}

/** One `tbn firmware` build; records its row and size line. */
async function firmware(label: string, cols: Column[], args: string[]): Promise<Built | null> {
  log(`== tbn firmware ${args.join(' ')}`);
  const io = captureIO();
  const started = Date.now();
  const code = await main(['firmware', ...args, '--json'], io);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (code !== 0) {
    log(`   failed (${secs} s):\n${io.text()}`);
    for (const c of cols) set(`firmware build ${label}`, c, { status: 'fail', detail: io.text() });
    sizes.push(`${label}: build failed (see above)`);
    return null;
  }
  const r = JSON.parse(io.stdout.join('')) as Built;
  log(`   ok in ${secs} s: ${r.size.line}`);
  for (const c of cols) set(`firmware build ${label}`, c, { status: 'pass' });
  sizes.push(r.size.line);
  return r;
}

/** Runs vitest files with engine binaries in the environment; returns title -> status. */
function vitest(files: string[], env: NodeJS.ProcessEnv): Promise<Map<string, { status: string; failure?: string }>> {
  const report = path.join(out, `vitest-${Date.now()}.json`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...files, '--reporter=json', `--outputFile=${report}`], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
    child.once('close', () => {
      clearTimeout(timer);
      const results = new Map<string, { status: string; failure?: string }>();
      if (!existsSync(report)) {
        results.set('(vitest)', { status: 'failed', failure: err.slice(-2000) });
        return resolve(results);
      }
      const json = JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }> }> };
      for (const f of json.testResults) {
        for (const a of f.assertionResults) results.set([...a.ancestorTitles, a.title].join(' > '), { status: a.status, failure: a.failureMessages.join('\n').slice(0, 2000) });
      }
      resolve(results);
    });
  });
}

function vitestCell(results: Map<string, { status: string; failure?: string }>, match: RegExp): Cell {
  const hits = [...results.entries()].filter(([k]) => match.test(k));
  if (hits.length === 0) return { status: 'fail', detail: `no test matched ${match}: ${[...results.keys()].join('; ').slice(0, 500)}` };
  const failed = hits.find(([, v]) => v.status === 'failed');
  if (failed) return { status: 'fail', detail: failed[1].failure };
  if (hits.every(([, v]) => v.status === 'passed')) return { status: 'pass' };
  return { status: 'skipped', reason: 'vitest skipped it' };
}

// ------------------------------------------------------------------ builds
const model = path.join(out, 'har.tbn');
writeFileSync(model, harShapedModel(5)); // 6 channels x 128 samples: the app streams HAR recordings into it
const noEsp = 'TBN_ESPRUINO_DIR not set';
const noJerry = 'TBN_JERRY_DIR not set';

let espBin: string | undefined;
let jerryBin: string | undefined;
let stm32: Built | null = null;
if (espDir) {
  const linux = await firmware('LINUX_TBN', ['espruino linux'], ['--engine', 'espruino', '--engine-dir', espDir, '--board', 'linux', '-o', path.join(out, 'espruino-linux')]);
  espBin = linux?.image;
  await firmware('STM32F4DISCOVERY_TBN', ['espruino stm32 (build)'], ['--engine', 'espruino', '--engine-dir', espDir, '--board', 'STM32F4DISCOVERY_TBN', '-o', path.join(out, 'espruino-stm32f4discovery')]);
  await firmware('PICO_R1_3_TBN', ['espruino stm32 (build)'], ['--engine', 'espruino', '--engine-dir', espDir, '--board', 'PICO_R1_3_TBN', '-o', path.join(out, 'espruino-pico')]);
} else {
  sizes.push(`Espruino images: not built (${noEsp})`);
  for (const b of ['LINUX_TBN', 'STM32F4DISCOVERY_TBN', 'PICO_R1_3_TBN']) set(`firmware build ${b}`, b === 'LINUX_TBN' ? 'espruino linux' : 'espruino stm32 (build)', { status: 'skipped', reason: noEsp });
}
if (jerryDir) {
  const linux = await firmware('tbn-jerry', ['jerryscript linux'], ['--engine', 'jerryscript', '--engine-dir', jerryDir, '--board', 'linux', '-o', path.join(out, 'jerryscript-linux')]);
  jerryBin = linux?.image;
  stm32 = await firmware('stm32f405 JerryScript', ['jerryscript stm32f405 qemu', 'jerryscript stm32f405 qemu snapshot'], ['--engine', 'jerryscript', '--engine-dir', jerryDir, '--board', 'stm32f405', '--model', model, '-o', path.join(out, 'jerryscript-stm32f405')]);
} else {
  sizes.push(`JerryScript images: not built (${noJerry})`);
  set('firmware build tbn-jerry', 'jerryscript linux', { status: 'skipped', reason: noJerry });
  for (const c of ['jerryscript stm32f405 qemu', 'jerryscript stm32f405 qemu snapshot'] as const) set('firmware build stm32f405 JerryScript', c, { status: 'skipped', reason: noJerry });
}

// ------------------------------------------------------------------ contract on Linux engines
const cases = contractCases();
const files = writeCases(cases);
const skipAll = (col: Column, reason: string, rows: string[]) => rows.forEach((r) => set(r, col, { status: 'skipped', reason }));
const caseRows = cases.map((c) => `contract ${c.name}`);
for (const [col, kind, bin, why] of [
  ['espruino linux', 'espruino', espBin, espDir ? 'the Espruino build failed' : noEsp],
  ['jerryscript linux', 'jerryscript', jerryBin, jerryDir ? 'the JerryScript build failed' : noJerry],
] as const) {
  if (!bin) {
    skipAll(col, why, caseRows);
    continue;
  }
  log(`== contract suite on ${col}`);
  for (const c of cases) set(`contract ${c.name}`, col, fromOutcome(runInEngine(kind, bin, c.name, files.get(c.name) as string)));
}

// ------------------------------------------------------------------ end to end and tbn flash (vitest)
const e2eRow = 'device stream end to end';
const flashRow = 'tbn flash over a pty';
if (espBin || jerryBin) {
  log('== device stream and tbn flash (vitest test/device/engines.test.ts test/contract/flash.test.ts)');
  const env: NodeJS.ProcessEnv = { TBN_ESPRUINO_BIN: espBin ?? '', TBN_JERRY_BIN: jerryBin ?? '' };
  const results = await vitest(['test/device/engines.test.ts', 'test/contract/flash.test.ts'], env);
  if (espBin) {
    set(e2eRow, 'espruino linux', vitestCell(results, /device bundle on espruino/));
    set(flashRow, 'espruino linux', vitestCell(results, /tbn flash to a real Espruino/));
  }
  if (jerryBin) set(e2eRow, 'jerryscript linux', vitestCell(results, /device bundle on jerryscript/));
}
if (!espBin) skipAll('espruino linux', espDir ? 'the Espruino build failed' : noEsp, [e2eRow, flashRow]);
if (!jerryBin) skipAll('jerryscript linux', jerryDir ? 'the JerryScript build failed' : noJerry, [e2eRow]);
set(flashRow, 'jerryscript linux', { status: 'skipped', reason: 'JerryScript links the app into the firmware: tbn flash prints the flasher commands' });

// ------------------------------------------------------------------ STM32F405 under QEMU
for (const [col, snapshot] of [
  ['jerryscript stm32f405 qemu', false],
  ['jerryscript stm32f405 qemu snapshot', true],
] as const) {
  if (!stm32 || !jerryDir) {
    skipAll(col, jerryDir ? 'the STM32F405 build failed' : noJerry, caseRows);
    continue;
  }
  const chosen = quick ? cases.filter((_, i) => i % 7 === 0) : cases;
  if (quick) skipAll(col, 'TBN_ENGINES_QUICK=1 runs every seventh case', caseRows);
  log(`== contract suite on ${col} (${chosen.length} cases)`);
  await runContractOnQemuStm32({
    jerryDir: path.resolve(jerryDir),
    jerryLib: path.join(stm32.outDir, 'jerry-stm32', 'lib'),
    snapshotTool: snapshot ? stm32.snapshotTool : undefined,
    work: path.join(out, snapshot ? 'qemu-snapshot' : 'qemu-source'),
    cases: chosen,
    files,
    onResult: (r) => {
      set(`contract ${r.name}`, col, fromOutcome(r));
      log(`   ${r.name}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
    },
  });
}
const QEMU_COLUMNS = ['jerryscript stm32f405 qemu', 'jerryscript stm32f405 qemu snapshot'] as const;
for (const col of QEMU_COLUMNS) set(e2eRow, col, { status: 'skipped', reason: 'the vitest stream needs a Linux engine binary; the QEMU firmware streams in the --run row' });
for (const col of QEMU_COLUMNS) set(flashRow, col, { status: 'skipped', reason: 'JerryScript links the app into the firmware: tbn flash prints the flasher commands' });

// ------------------------------------------------------------------ tbn firmware --run, then tbn stream
const runRow = 'tbn firmware --run + tbn stream';
const cli = path.join(repoRoot, 'bin', 'tbn.js');
/** Starts `tbn firmware --run` (it finds its earlier build up to date), streams subject s15 into it, stops it. */
async function runAndStream(col: Column, firmwareArgs: string[]): Promise<void> {
  const link = path.join(out, `tty-${col.replace(/\W+/g, '-')}`);
  rmSync(link, { force: true }); // a stale link from an interrupted run
  const args = [cli, 'firmware', ...firmwareArgs, '--model', model, '--run', '--link', link, '--seconds', '600'];
  log(`== ${col}: tbn ${args.slice(1).join(' ')}`);
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  child.stdout.on('data', (d: Buffer) => (said += d.toString()));
  child.stderr.on('data', (d: Buffer) => (said += d.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r(undefined);
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
  };
  try {
    const deadline = Date.now() + 15 * 60_000;
    while (!/serial port ready/.test(said)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tbn firmware --run did not get ready: ${said.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const r = spawnSync(process.execPath, [cli, 'stream', '--port', link, '--har-subjects', 's15', '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 10 * 60_000 });
    const report = r.status === 0 ? (JSON.parse(r.stdout) as { predictions: number; expected: number; accuracy: number; deviceCounters: Record<string, number> }) : null;
    if (!report || report.predictions === 0 || report.predictions !== report.expected) {
      set(runRow, col, { status: 'fail', detail: `tbn stream exit ${r.status}: ${(r.stderr ?? '').slice(-1500)} ${report ? JSON.stringify({ predictions: report.predictions, expected: report.expected }) : ''}` });
    } else {
      set(runRow, col, { status: 'pass' });
      log(`   ${report.predictions} of ${report.expected} predictions streamed (subject s15)`);
    }
  } catch (e) {
    set(runRow, col, { status: 'fail', detail: (e as Error).message });
  } finally {
    await stop();
  }
}
if (espBin && espDir) await runAndStream('espruino linux', ['--engine', 'espruino', '--engine-dir', espDir, '--board', 'linux', '-o', path.join(out, 'espruino-linux')]);
else set(runRow, 'espruino linux', { status: 'skipped', reason: espDir ? 'the Espruino build failed' : noEsp });
if (jerryBin && jerryDir) await runAndStream('jerryscript linux', ['--engine', 'jerryscript', '--engine-dir', jerryDir, '--board', 'linux', '-o', path.join(out, 'jerryscript-linux')]);
else set(runRow, 'jerryscript linux', { status: 'skipped', reason: jerryDir ? 'the JerryScript build failed' : noJerry });
if (stm32 && jerryDir) await runAndStream('jerryscript stm32f405 qemu', ['--engine', 'jerryscript', '--engine-dir', jerryDir, '--board', 'stm32f405', '-o', path.join(out, 'jerryscript-stm32f405')]);
else set(runRow, 'jerryscript stm32f405 qemu', { status: 'skipped', reason: jerryDir ? 'the STM32F405 build failed' : noJerry });
set(runRow, 'jerryscript stm32f405 qemu snapshot', { status: 'skipped', reason: 'the source build is the one streamed' });

// ------------------------------------------------------------------ report
const cellText = (c: Cell | undefined) => (!c ? '-' : c.status === 'skipped' ? `skipped (${c.reason})` : c.status);
const rows = [...table.keys()];
const width = Math.max(...rows.map((r) => r.length));
const widths = COLUMNS.map((c) => Math.min(36, Math.max(c.length, ...rows.map((r) => cellText(table.get(r)?.get(c)).length))));
const lines: string[] = [];
lines.push(`${'case'.padEnd(width)} | ${COLUMNS.map((c, i) => c.padEnd(widths[i]!)).join(' | ')}`);
lines.push(`${'-'.repeat(width)}-+-${widths.map((w) => '-'.repeat(w)).join('-+-')}`);
const counts = COLUMNS.map(() => ({ pass: 0, fail: 0, skipped: 0 }));
const failures: string[] = [];
for (const r of rows) {
  const cells = COLUMNS.map((c, i) => {
    const cell = table.get(r)?.get(c);
    if (cell) counts[i]![cell.status]++;
    if (cell?.status === 'fail') failures.push(`${c} / ${r}:\n${(cell.detail ?? '').slice(0, 1500)}`);
    const t = cellText(cell);
    return (t.length > widths[i]! ? `${t.slice(0, widths[i]! - 1)}…` : t).padEnd(widths[i]!);
  });
  lines.push(`${r.padEnd(width)} | ${cells.join(' | ')}`);
}
lines.push(`${'-'.repeat(width)}-+-${widths.map((w) => '-'.repeat(w)).join('-+-')}`);
COLUMNS.forEach((c, i) => lines.push(`total ${c}: ${counts[i]!.pass} pass, ${counts[i]!.fail} fail, ${counts[i]!.skipped} skipped`));
// skip reasons, grouped: reason -> column -> rows
const reasons = new Map<string, Map<Column, string[]>>();
for (const r of rows) {
  for (const c of COLUMNS) {
    const cell = table.get(r)?.get(c);
    if (cell?.status !== 'skipped' || !cell.reason) continue;
    if (!reasons.has(cell.reason)) reasons.set(cell.reason, new Map());
    const byCol = reasons.get(cell.reason)!;
    byCol.set(c, [...(byCol.get(c) ?? []), r]);
  }
}
const reasonLines: string[] = [];
for (const [reason, byCol] of reasons) {
  reasonLines.push(`  ${reason}:`);
  for (const [c, rs] of byCol) reasonLines.push(`    ${c}: ${rs.length > 3 ? `${rs.length} rows (${rs.slice(0, 2).join(', ')}, ...)` : rs.join(', ')}`);
}
const report = [
  ...lines,
  '',
  'skipped (reason): where',
  ...reasonLines,
  '',
  'image sizes:',
  ...sizes.map((s) => `  ${s}`),
  ...(failures.length ? ['', 'failures:', ...failures] : []),
]
  .map((l) => l.trimEnd())
  .join('\n');
console.log(report);
writeFileSync(path.join(out, 'report.txt'), `${report}\n`);
process.exit(failures.length ? 1 : 0);
