import { didYouMean, formatHelp, parseArgs, printableWord, UsageError } from './cli/args.ts';
import type { CliIO, Command } from './cli/command.ts';
import { TbnError } from './errors.ts';
import { packageVersion } from './package-root.ts';

/** Subcommands load lazily so `tbn --help` stays fast and one broken command cannot break the others. */
export const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  train: { summary: 'train FP32, BNN and TBN models on sensor CSV, generic CSV or Fashion-MNIST', load: async () => (await import('./commands/train.ts')).command },
  pack: { summary: 'pack a training checkpoint into a .tbn model file', load: async () => (await import('./commands/pack.ts')).command },
  eval: { summary: 'compare float and packed integer accuracy on a data split', load: async () => (await import('./commands/eval.ts')).command },
  inspect: { summary: 'per-layer size, MAC and memory summary of a .tbn file', load: async () => (await import('./commands/inspect.ts')).command },
  sim: { summary: 'run the device bundle in the host simulator behind a pseudo-terminal', load: async () => (await import('./commands/sim.ts')).command },
  stream: { summary: 'stream a recording to a board or the simulator over serial', load: async () => (await import('./commands/stream.ts')).command },
  build: { summary: 'bundle the device app and model for a board and engine', load: async () => (await import('./commands/build.ts')).command },
  firmware: { summary: 'build Espruino or JerryScript firmware with the tbn module from your engine checkout', load: async () => (await import('./commands/firmware.ts')).command },
  flash: { summary: 'upload the built app and model to a board', load: async () => (await import('./commands/flash.ts')).command },
  record: { summary: "record labelled data from the board's own sensor for training", load: async () => (await import('./commands/record.ts')).command },
  monitor: { summary: 'show the live predictions and counters of a board running on its own sensor', load: async () => (await import('./commands/monitor.ts')).command },
  report: { summary: 'write one self-contained HTML page: training curves, confusion matrices, sizes, tiles, device and cost', load: async () => (await import('./commands/report.ts')).command },
  demo: { summary: 'train, pack, build and stream HAR data through the simulator', load: async () => (await import('./commands/demo.ts')).command },
};

function topHelp(): string {
  const lines = ['Usage: tbn <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `tbn <command> --help` for the options of one command, `tbn --version` for the version.');
  return lines.join('\n');
}

/** One line saying what is wrong, and where the help is: never the whole help. */
function usageError(io: CliIO, prefix: string, message: string, helpCommand: string): number {
  io.err(`${prefix}: ${message}\nRun \`${helpCommand}\` for usage.`);
  return 2;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(packageVersion());
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const hint = didYouMean(name.replace(/^-+/, ''), Object.keys(COMMANDS));
    const what = name.startsWith('-') ? `unknown option ${printableWord(name)}` : `unknown command "${printableWord(name)}"`;
    return usageError(io, 'tbn', `${what}${hint ? ` (did you mean "${hint}"?)` : ''}`, 'tbn --help');
  }
  let command: Command;
  try {
    command = await entry.load();
  } catch (e) {
    io.err(`tbn ${name}: this command is not available in this build (${(e as Error).message})`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(formatHelp(command.usage, command.summary, command.options));
    return 0;
  }
  try {
    const args = parseArgs(rest, command.options);
    for (const w of args.warnings ?? []) io.err(`tbn ${name}: warning: ${w}`);
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, `tbn ${name}`, e.message, `tbn ${name} --help`);
    if (e instanceof TbnError) {
      io.err(`tbn ${name}: ${e.message}`);
      return 1;
    }
    io.err(`tbn ${name}: internal error: ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
}

export function processIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    interactive: Boolean(process.stderr.isTTY),
  };
}
