import type { OptionSpec, ParsedArgs } from './args.ts';

/** Where a command writes. Only the CLI layer prints; library code returns values. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress bars may redraw in place. */
  interactive: boolean;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Returns the process exit code. Throwing UsageError prints usage; other errors print their message. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
