/**
 * By-hand: runs every contract case inside JerryScript on an emulated
 * STM32F405 (qemu-system-arm -M netduinoplus2): each case becomes the app of
 * a test firmware (boards/stm32f405/jerryscript, -DTBN_QEMU_TEST) that exits
 * QEMU with PASS/FAIL. Needs a Cortex-M4 build of JerryScript v3.0 (docs/engines.md):
 *   npx tsx test/contract/run-qemu-stm32.ts --jerry /path/to/jerryscript --jerry-lib /path/to/jerry-stm32/lib
 * With --snapshot-tool PATH/jerry-snapshot (a host build with the target's heap size and
 * profile) each case runs as a snapshot instead of source.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomPackedModel } from '../../host/format/random-model.ts';
import { contractCases } from './cases.ts';
import { repoRoot, writeCases } from './runners.ts';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const jerry = opt('--jerry');
const jerryLib = opt('--jerry-lib');
if (!jerry || !jerryLib) {
  console.error('usage: npx tsx test/contract/run-qemu-stm32.ts --jerry JERRYSCRIPT_SRC --jerry-lib CORTEX_M4_LIB_DIR [--only NAME]');
  process.exit(2);
}
const only = opt('--only');
const snapshotTool = opt('--snapshot-tool');
const cases = contractCases().filter((c) => !only || c.name === only);
const files = writeCases(cases);
const work = path.join(repoRoot, 'build', 'contract-stm32');
mkdirSync(work, { recursive: true });
const model = path.join(work, 'any.tbn');
writeFileSync(model, randomPackedModel(1)); // Storage content; the cases carry their own models
const cli = path.join(repoRoot, 'bin', 'tbn.js');
let passed = 0;
for (const c of cases) {
  const out = path.join(work, c.name);
  const buildArgs = [cli, 'build', '--board', 'stm32f405', '--engine', 'jerryscript', '--model', model, '-o', out, '--bundle', files.get(c.name)!];
  if (snapshotTool) {
    mkdirSync(out, { recursive: true });
    const snap = path.join(out, 'app.snapshot');
    execFileSync(snapshotTool, ['generate', '-o', snap, files.get(c.name)!], { stdio: 'ignore' });
    buildArgs.push('--snapshot', snap);
  }
  execFileSync(process.execPath, buildArgs, { stdio: 'ignore' });
  execFileSync('make', ['-s', '-C', path.join(repoRoot, 'boards/stm32f405/jerryscript'), `JERRY=${jerry}`, `JERRY_LIB=${jerryLib}`, `BLOBS=${out}`, 'EXTRA_CFLAGS=-DTBN_QEMU_TEST'], { stdio: 'ignore' });
  const r = spawnSync('qemu-system-arm', ['-M', 'netduinoplus2', '-kernel', path.join(out, 'firmware.elf'), '-nographic', '-monitor', 'none', '-semihosting', '-serial', 'stdio', '-serial', 'null'], { encoding: 'latin1', timeout: 120_000 });
  const text = `${r.stdout}${r.stderr}`;
  const pass = r.status === 0 && /PASS/.test(text);
  if (pass) passed++;
  console.log(`${c.name.padEnd(24)} ${pass ? 'pass' : 'FAIL'}${pass ? '' : `  ${text.replace(/\s+/g, ' ').slice(0, 400)}`}`);
}
console.log(`${'total'.padEnd(24)} ${passed}/${cases.length}`);
process.exit(passed === cases.length ? 0 : 1);
