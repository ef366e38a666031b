/**
 * Runs the same device bundle on a real JS engine built for Linux (Espruino
 * with the tbn module, or our JerryScript board main) behind a socat pty, so
 * the host tools talk to it exactly as to the simulator or a board.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TbnError } from '../errors.ts';
import { openPtyPair } from './pty.ts';

export type EngineKind = 'espruino' | 'jerryscript';

export interface EngineDevice {
  hostPath: string;
  /** The engine's process id (for CPU accounting). */
  pid: number | undefined;
  /** What the engine printed on its console. */
  output(): string;
  close(): Promise<void>;
}

export async function startEngineDevice(kind: EngineKind, bin: string, bundle: string, model: Uint8Array, opts: { link?: string; config?: Record<string, unknown> } = {}): Promise<EngineDevice> {
  const pty = await openPtyPair({ link: opts.link });
  const dir = mkdtempSync(path.join(tmpdir(), `tbn-${kind}-`));
  let child: ChildProcess;
  if (kind === 'espruino') {
    // Espruino for Linux: Storage is a file in the working directory; Serial1 needs the pty path
    // (passed through tbn.cfg, which the app hands to Serial1.setup); a timer keeps the event loop
    // alive as it is on a board.
    const cfg = { ...(opts.config ?? {}), serial: { path: pty.devicePath } };
    const preamble =
      'setInterval(function(){},1000);var S=require("Storage");S.eraseAll();' +
      `S.write("model.tbn",atob("${Buffer.from(model).toString('base64')}"));` +
      `S.write("tbn.cfg",${JSON.stringify(JSON.stringify(cfg))});\n`;
    const file = path.join(dir, 'app.js');
    writeFileSync(file, preamble + bundle, 'latin1');
    child = spawn(bin, [file], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  } else {
    writeFileSync(path.join(dir, 'model.tbn'), model);
    if (opts.config) writeFileSync(path.join(dir, 'tbn.cfg'), JSON.stringify(opts.config));
    const file = path.join(dir, 'app.js');
    writeFileSync(file, bundle, 'latin1');
    child = spawn(bin, ['--storage', dir, '--port', pty.devicePath, file], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  }
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('latin1')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new TbnError('E_ENGINE', `cannot start ${bin}: ${e.message}`)));
    setTimeout(resolve, kind === 'espruino' ? 800 : 200);
  });
  if (child.exitCode !== null) {
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
    throw new TbnError('E_ENGINE', `${kind} exited with code ${child.exitCode}: ${out.trim().slice(-500)}`);
  }
  return {
    hostPath: pty.hostPath,
    pid: child.pid,
    output: () => out,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
