/** `tbn` run in-process with its output captured, for the suites that assert on what the CLI prints. */
import { main } from '../../host/cli.ts';
import type { CliIO } from '../../host/cli/command.ts';

export type CapturedIO = CliIO & { stdout: string[]; stderr: string[] };

export function captureIO(): CapturedIO {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false };
}

/** Runs `tbn argv…`; stdout and stderr each joined by newlines. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}
