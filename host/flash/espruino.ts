/**
 * `tbn flash` for Espruino: runs host/flash/espruino-worker.cjs (EspruinoTools)
 * in a child process and turns its JSON lines into progress events.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TbnError } from '../errors.ts';

export type UploadEvent =
  | { event: 'log'; text: string; level?: string }
  | { event: 'status'; text: string; total: number }
  | { event: 'progress'; sent: number; total: number }
  | { event: 'connected'; board?: string; version?: string }
  | { event: 'sent'; bytes: number }
  | { event: 'verified'; files: VerifiedFile[] }
  | { event: 'done' }
  | { event: 'error'; message: string };

/** A Storage file as the board read it back, equal to what was sent. */
export interface VerifiedFile {
  name: string;
  bytes: number;
  crc32: number;
}

export interface EspruinoUploadOptions {
  port: string;
  baud?: number;
  modelFile: string;
  appFile: string;
  storageName?: string;
  /** Further Storage files to write with the model, e.g. the device config tbn.cfg. */
  extraFiles?: { name: string; file: string }[];
  timeoutSec?: number;
  onEvent?: (e: UploadEvent) => void;
}

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'espruino-worker.cjs');

/** The one line worth showing from a worker that died without an error event (no Node stack dump). */
function workerFailure(stderr: string, code: number | null): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const err = lines.find((l) => /^\w*Error: /.test(l));
  return err ? err.replace(/^(\w*Error: )+/, '') : `the upload worker exited with code ${code}`;
}

/** Uploads model + app and reads both back; resolves only when the board holds exactly what was sent. */
export function uploadToEspruino(opts: EspruinoUploadOptions): Promise<{ bytesSent: number; board?: string; version?: string; verified: VerifiedFile[] }> {
  let espruinoModule: string;
  try {
    espruinoModule = createRequire(import.meta.url).resolve('espruino');
  } catch {
    throw new TbnError('E_FLASH', 'the npm package "espruino" (EspruinoTools) is not installed: npm install espruino');
  }
  const args = {
    port: opts.port,
    baud: opts.baud ?? 115200,
    model: path.resolve(opts.modelFile),
    app: path.resolve(opts.appFile),
    storageName: opts.storageName ?? 'model.tbn',
    extraFiles: (opts.extraFiles ?? []).map((f) => ({ name: f.name, file: path.resolve(f.file) })),
    timeoutSec: opts.timeoutSec ?? 120,
    espruinoModule,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderr = '';
    let error: string | undefined;
    let bytesSent = 0;
    let board: string | undefined;
    let version: string | undefined;
    let verified: VerifiedFile[] | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let e: UploadEvent;
        try {
          e = JSON.parse(line) as UploadEvent;
        } catch {
          e = { event: 'log', text: line };
        }
        if (e.event === 'error') error = e.message;
        if (e.event === 'sent') bytesSent = e.bytes;
        if (e.event === 'connected') ({ board, version } = e);
        if (e.event === 'verified') verified = e.files;
        opts.onEvent?.(e);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (e) => reject(new TbnError('E_FLASH', `cannot run the upload worker: ${e.message}`)));
    child.on('exit', (code) => {
      if (code === 0 && !error && bytesSent > 0 && verified) resolve({ bytesSent, board, version, verified });
      else if (code === 0 && !error) reject(new TbnError('E_FLASH', `upload to ${opts.port} was not confirmed: the board's files were never read back`));
      else reject(new TbnError('E_FLASH', `upload to ${opts.port} failed: ${error ?? workerFailure(stderr, code)}`));
    });
  });
}
