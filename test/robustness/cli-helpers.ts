/** Runs the real CLI (bin/tbn.js) as a subprocess with a hard time bound, for the hostile-input suite. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../../host/io/shell.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TBN = path.join(REPO, 'bin', 'tbn.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** True when the bound ran out and the process was killed. */
  timedOut: boolean;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process ends, or kills it (SIGKILL, whole group) after `boundMs`. */
  done: Promise<CliRun>;
}

/** Starts `tbn ARGS` (or `bash -c 'PREFIX; exec node bin/tbn.js ARGS'` with a shell prefix such as `ulimit -f 8`). */
export function startCli(args: string[], opts: { boundMs: number; shellPrefix?: string; asUser?: number; cwd?: string }): Running {
  const quoted = args.map(shellQuote).join(' ');
  let cmd = process.execPath;
  let argv = [TBN, ...args];
  if (opts.shellPrefix) {
    cmd = 'bash';
    argv = ['-c', `${opts.shellPrefix}; exec '${process.execPath}' '${TBN}' ${quoted}`];
  }
  if (opts.asUser !== undefined) {
    argv = [`--reuid=${opts.asUser}`, `--regid=${opts.asUser}`, '--clear-groups', cmd, ...argv];
    cmd = 'setpriv';
  }
  const t0 = Date.now();
  const child = spawn(cmd, argv, { cwd: opts.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.boundMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, timedOut });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function runCli(args: string[], opts: { boundMs: number; shellPrefix?: string; asUser?: number; cwd?: string }): Promise<CliRun> {
  return startCli(args, opts).done;
}

/** Waits until `test()` holds, polling, or throws after `ms`. */
export async function waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
