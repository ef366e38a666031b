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

/** Resolves on Ctrl-C or SIGTERM, or after `seconds` when given: how long-running commands (sim, firmware --run) wait. */
export function waitForStop(seconds: number | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (timer) clearTimeout(timer);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (seconds !== undefined) timer = setTimeout(stop, seconds * 1000);
  });
}

/** An AbortSignal that Ctrl-C (the first SIGINT) aborts; dispose() stops listening. For commands that end cleanly and still report. */
export function sigintSignal(): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  return { signal: abort.signal, dispose: () => process.off('SIGINT', onSigint) };
}
