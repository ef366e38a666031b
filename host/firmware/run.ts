/**
 * `tbn firmware --run`: starts a built firmware with the app and model loaded,
 * its Serial1 behind a pseudo-terminal for `tbn stream`, as `tbn sim` does:
 * the Linux builds through host/sim/engine.ts, the STM32F405 JerryScript
 * image in QEMU (netduinoplus2; USART2 = Serial1 on a pty, USART1 = console
 * into a file).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';
import { readBundle } from '../build/bundle.ts';
import { readModelFile } from '../format/reader.ts';
import { startEngineDevice } from '../sim/engine.ts';
import type { EngineName } from './engines.ts';
import { requireTools, TOOLS } from './toolchain.ts';

export interface RunningFirmware {
  /** The pty the host tools open (`tbn stream --port`). */
  hostPath: string;
  /** Where the firmware's console goes (QEMU) or what it printed (Linux). */
  output(): string;
  close(): Promise<void>;
}

export async function runLinuxFirmware(engine: EngineName, bin: string, bundleFile: string, modelFile: string, link?: string): Promise<RunningFirmware> {
  requireTools([TOOLS.socat]);
  const bundle = readBundle(bundleFile);
  const model = readModelFile(modelFile);
  const dev = await startEngineDevice(engine, bin, bundle, model, { link });
  return { hostPath: dev.hostPath, output: dev.output, close: dev.close };
}

/** Starts QEMU on firmware.elf; resolves once QEMU has named the pty of USART2. */
export async function runQemuStm32(elf: string, consoleFile: string, opts: { link?: string; timeoutMs?: number } = {}): Promise<RunningFirmware> {
  if (!existsSync(elf)) throw new TbnError('E_INPUT', `${elf}: no firmware to run; build it first`);
  const link = opts.link ? path.resolve(opts.link) : undefined;
  if (link && existsSync(link)) throw new TbnError('E_LINK', `${link} already exists; choose another --link path or remove it`);
  requireTools([TOOLS.qemuArm]);
  let child: ChildProcess;
  try {
    child = spawn('qemu-system-arm', ['-M', 'netduinoplus2', '-kernel', elf, '-display', 'none', '-monitor', 'none', '-serial', `file:${consoleFile}`, '-serial', 'pty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new TbnError('E_QEMU', `cannot start qemu-system-arm: ${(e as Error).message}`);
  }
  let said = '';
  child.stdout?.on('data', (d: Buffer) => (said += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (said += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pty = await new Promise<string>((resolve, reject) => {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    child.once('error', (e) => reject(new TbnError('E_QEMU', `cannot start qemu-system-arm: ${e.message}`)));
    const poll = () => {
      const m = /char device redirected to (\/dev\/pts\/\d+)/.exec(said);
      if (m) return resolve(m[1] as string);
      if (child.exitCode !== null) return reject(new TbnError('E_QEMU', `qemu-system-arm exited with code ${child.exitCode}: ${said.trim()}`));
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        return reject(new TbnError('E_QEMU', `qemu-system-arm named no pty within ${opts.timeoutMs ?? 10_000} ms: ${said.trim()}`));
      }
      setTimeout(poll, 20);
    };
    poll();
  });
  if (link) symlinkSync(pty, link);
  return {
    hostPath: link ?? pty,
    output: () => (existsSync(consoleFile) ? readFileSync(consoleFile, 'latin1') : ''),
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      if (link) rmSync(link, { force: true });
    },
  };
}
