/**
 * By-hand runner: prints a pass/fail table of the contract suite.
 *   npx tsx test/contract/run.ts [--sim] [--espruino BIN] [--jerry BIN]
 */
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { contractCases } from './cases.ts';
import { type CaseOutcome, runInEngine, runInVm, writeCases } from './runners.ts';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const cases = contractCases();
const files = writeCases(cases);
const columns: Array<[string, (name: string) => CaseOutcome]> = [];
if (args.includes('--sim')) {
  const tbn = await loadWasmTbnModule();
  columns.push(['simulator', (name) => runInVm(cases.find((c) => c.name === name)!, tbn)]);
}
const esp = opt('--espruino');
if (esp) columns.push(['espruino', (name) => runInEngine('espruino', esp, name, files.get(name)!)]);
const jerry = opt('--jerry');
if (jerry) columns.push(['jerryscript', (name) => runInEngine('jerryscript', jerry, name, files.get(name)!)]);
if (columns.length === 0) {
  console.error('usage: npx tsx test/contract/run.ts [--sim] [--espruino BIN] [--jerry BIN]');
  process.exit(2);
}
const width = Math.max(...cases.map((c) => c.name.length));
console.log(`${'case'.padEnd(width)}  ${columns.map(([n]) => n.padEnd(11)).join(' ')}`);
const failures: string[] = [];
const counts = columns.map(() => ({ pass: 0, fail: 0, skipped: 0 }));
for (const c of cases) {
  const cells = columns.map(([n, run], i) => {
    const r = run(c.name);
    counts[i]![r.status]++;
    if (r.status === 'fail') failures.push(`${n} ${c.name}:\n${r.output}`);
    return (r.status === 'skipped' ? `skipped (${r.reason})` : r.status).padEnd(11);
  });
  console.log(`${c.name.padEnd(width)}  ${cells.join(' ')}`);
}
console.log(`${'total'.padEnd(width)}  ${counts.map((k) => `${k.pass} pass, ${k.fail} fail, ${k.skipped} skipped`).join(' | ')}`);
if (failures.length) console.log(`\n${failures.join('\n\n')}`);
process.exit(failures.length ? 1 : 0);
