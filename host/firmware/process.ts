/**
 * Runs one build step (make, tools/build.py, cc) with a time limit, keeps its
 * whole output for a log file, and on failure throws an error that shows the
 * step's own last lines, so the user sees the compiler's message, not
 * "Command failed".
 */
import { spawn } from 'node:child_process';
import { TbnError } from '../errors.ts';
import { shellQuote } from '../io/shell.ts';

export interface StepResult {
  output: string;
  ms: number;
}

export interface StepOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Called with each complete output line (progress). */
  onLine?: (line: string) => void;
  /** Lines of output quoted in the error. */
  tailLines?: number;
}

/** The command as a shell line (for messages and logs). */
export function commandLine(cmd: string, args: string[], cwd?: string): string {
  return `${cwd ? `cd ${shellQuote(cwd)} && ` : ''}${[cmd, ...args].map(shellQuote).join(' ')}`;
}

/** Last `n` non-empty lines of `text`. */
export function tail(text: string, n: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}

export function runStep(what: string, cmd: string, args: string[], opts: StepOptions): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let output = '';
    let pending = '';
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onData = (d: Buffer) => {
      const s = d.toString('utf8');
      output += s;
      if (!opts.onLine) return;
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) opts.onLine(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      const code = (e as NodeJS.ErrnoException).code;
      reject(new TbnError('E_BUILD', `${what}: cannot run ${cmd}${code === 'ENOENT' ? ' (not installed)' : `: ${e.message}`}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0) return resolve({ output, ms });
      const why = timedOut ? `did not finish within ${opts.timeoutMs / 1000} s` : signal ? `was killed by ${signal}` : `failed with exit code ${code}`;
      const err = new TbnError('E_BUILD', `${what} ${why}:\n  ${commandLine(cmd, args, opts.cwd)}\n--- last lines of its output ---\n${tail(output, opts.tailLines ?? 40)}`);
      (err as TbnError & { output?: string }).output = output;
      reject(err);
    });
  });
}
