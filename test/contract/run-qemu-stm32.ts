/**
 * By-hand: the contract suite in JerryScript on an emulated STM32F405 (see
 * qemu-stm32.ts). Build the engine first with
 *   tbn firmware --engine jerryscript --engine-dir /path/to/jerryscript --board stm32f405 --model m.tbn -o DIR
 * then
 *   npx tsx test/contract/run-qemu-stm32.ts --jerry /path/to/jerryscript --firmware-dir DIR [--snapshot] [--only NAME]
 * (--snapshot: every case runs as a snapshot made by DIR's matching jerry-snapshot).
 */
import path from 'node:path';
import { contractCases } from './cases.ts';
import { runContractOnQemuStm32 } from './qemu-stm32.ts';
import { repoRoot, writeCases } from './runners.ts';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const jerry = opt('--jerry');
const fwDir = opt('--firmware-dir');
if (!jerry || !fwDir) {
  console.error('usage: npx tsx test/contract/run-qemu-stm32.ts --jerry JERRYSCRIPT_CHECKOUT --firmware-dir TBN_FIRMWARE_OUT_DIR [--snapshot] [--only NAME]');
  process.exit(2);
}
const only = opt('--only');
const snapshot = args.includes('--snapshot');
const cases = contractCases().filter((c) => !only || c.name === only);
const files = writeCases(cases);
const results = await runContractOnQemuStm32({
  jerryDir: path.resolve(jerry),
  jerryLib: path.resolve(fwDir, 'jerry-stm32', 'lib'),
  snapshotTool: snapshot ? path.resolve(fwDir, 'jerry-snapshot-m4', 'bin', 'jerry-snapshot') : undefined,
  work: path.join(repoRoot, 'build', snapshot ? 'contract-stm32-snapshot' : 'contract-stm32'),
  cases,
  files,
  onResult: (r) => console.log(`${r.name.padEnd(28)} ${r.status === 'skipped' ? `skipped (${r.reason})` : r.status}${r.status === 'fail' ? `  ${r.output.replace(/\s+/g, ' ').slice(0, 400)}` : ''}`),
});
const count = (s: string) => results.filter((r) => r.status === s).length;
console.log(`${'total'.padEnd(28)} ${count('pass')} pass, ${count('fail')} fail, ${count('skipped')} skipped of ${results.length}`);
process.exit(count('fail') ? 1 : 0);
