/**
 * A pseudo-terminal pair from Debian's socat: one end for the simulator, the
 * other for the user's tools (`tbn stream --port`), so the host side uses the
 * same serial code path as with a real board.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TbnError } from '../errors.ts';

export interface PtyPair {
  /** The end the simulator attaches to. */
  devicePath: string;
  /** The end for the host tools (a symlink when `link` was given). */
  hostPath: string;
  close(): Promise<void>;
}

/** Starts `socat pty,raw,echo=0 pty,raw,echo=0`; resolves once both ends exist. */
export async function openPtyPair(opts: { link?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-sim-'));
  const devicePath = path.join(dir, 'device');
  const hostPath = opts.link ? path.resolve(opts.link) : path.join(dir, 'host');
  if (opts.link && existsSync(hostPath)) throw new TbnError('E_LINK', `${hostPath} already exists; choose another --link path or remove it`);
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new TbnError('E_SOCAT', `cannot start socat (apt-get install socat): ${(e as Error).message}`);
  }
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    child.once('error', (e) => reject(new TbnError('E_SOCAT', `cannot start socat (is it installed? apt-get install socat): ${e.message}`)));
    const poll = () => {
      if (child.exitCode !== null) return reject(new TbnError('E_SOCAT', `socat exited with code ${child.exitCode}: ${stderr.trim()}`));
      if (/starting data transfer loop/.test(stderr) && existsSync(devicePath) && existsSync(hostPath)) return resolve();
      if (Date.now() > deadline) return reject(new TbnError('E_SOCAT', `socat did not create the pty pair within ${opts.timeoutMs ?? 5000} ms: ${stderr.trim()}`));
      setTimeout(poll, 20);
    };
    poll();
  });
  return {
    devicePath,
    hostPath,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        // Bounded like every close: a socat that does not stop on SIGTERM is killed.
        const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
        if (!stopped) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
