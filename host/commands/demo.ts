import { optBool, optInt, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { formatDemo, runDemo } from '../demo/run-demo.ts';

export const command: Command = {
  name: 'demo',
  usage: 'tbn demo [--epochs N] [--board stm32f405] [--synthetic] [--json]',
  summary: 'train a small HAR TBN, pack it, bundle the device app, and stream held-out recordings through the simulated board',
  options: [
    { name: 'epochs', type: 'string', range: { integer: true, min: 1, max: 100000 }, description: 'training epochs', default: '30' },
    { name: 'board', type: 'string', description: 'simulated board', default: 'stm32f405' },
    { name: 'test', type: 'string', description: 'held-out subjects to stream', default: 's15-s18' },
    { name: 'synthetic', type: 'boolean', description: 'use the synthetic motion generator even when sp-sw-har is present' },
    { name: 'out', short: 'o', type: 'string', description: 'folder for model.tbn', default: 'out/demo' },
    { name: 'json', type: 'boolean', description: 'print one JSON object' },
    { name: 'report', type: 'boolean', description: 'write OUT/report.html (tbn report of this run); --no-report skips it', default: 'true' },
  ],
  async run(args, io) {
    const epochs = optInt(args, 'epochs') ?? 30;
    if (epochs < 1) throw new UsageError('--epochs must be at least 1');
    const json = optBool(args, 'json');
    const r = await runDemo({
      epochs,
      board: optString(args, 'board'),
      testSubjects: optString(args, 'test'),
      synthetic: optBool(args, 'synthetic'),
      outDir: optString(args, 'out'),
      onStep: (m) => io.err(m),
      report: optBool(args, 'report'),
    });
    if (json) {
      const { report, ...rest } = r;
      io.out(JSON.stringify({ ...rest, confusion: report.confusion, classes: report.classes, deviceCounters: report.deviceCounters }));
    } else {
      // On stderr with the demo's other steps: stdout stays the one table.
      if (r.reportFile) io.err(`report: ${r.reportFile}`);
      io.out(formatDemo(r));
    }
    return r.bitExact === r.windows ? 0 : 1;
  },
};
