import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { optBool, optInt, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import type { BuildManifest } from '../build/artifacts.ts';
import { TbnError } from '../errors.ts';
import { readModelFile } from '../format/reader.ts';
import { fileErrorMessage, readRegularFile } from '../io/files.ts';

/** A build manifest is a few KB; anything far larger is not one. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
import { type UploadEvent, uploadToEspruino } from '../flash/espruino.ts';
import { jerryFlasherPlan } from '../flash/jerry.ts';

const fmt = (n: number) => n.toLocaleString('en-US');

/** Reads DIR/manifest.json and checks every artifact it lists is present and unchanged. */
export function loadBuild(dir: string): BuildManifest {
  const file = path.join(dir, 'manifest.json');
  if (!existsSync(file)) throw new TbnError('E_INPUT', `${file}: not found; run tbn build first (or give --dir)`);
  let manifest: BuildManifest;
  const text = readRegularFile(file, MAX_MANIFEST_BYTES, 'build manifest').toString('utf8');
  try {
    manifest = JSON.parse(text) as BuildManifest;
  } catch (e) {
    throw new TbnError('E_INPUT', `${file}: not JSON (${(e as Error).message})`);
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.tool !== 'tbn build' || !Array.isArray(manifest.files)) throw new TbnError('E_INPUT', `${file}: not a tbn build manifest`);
  for (const f of manifest.files) {
    const p = path.join(dir, f.path);
    if (typeof f.path !== 'string' || path.isAbsolute(f.path) || f.path.split(/[\\/]/).includes('..')) throw new TbnError('E_INPUT', `${file}: a listed file leaves the build folder`);
    if (!existsSync(p)) throw new TbnError('E_INPUT', `${p}: missing (listed in ${file}); run tbn build again`);
    const data = readModelFile(p, 'build file');
    if (createHash('sha256').update(data).digest('hex') !== f.sha256) {
      throw new TbnError('E_INPUT', `${p}: changed since tbn build (sha256 differs from ${file}); run tbn build again`);
    }
  }
  return manifest;
}

function onlyBuildDir(): string {
  let found: string[] = [];
  try {
    found = readdirSync('out').filter((d) => existsSync(path.join('out', d, 'manifest.json')));
  } catch {
    found = [];
  }
  if (found.length !== 1) {
    throw new UsageError(found.length === 0 ? 'no build in out/: run tbn build first, or give --dir' : `several builds in out/ (${found.join(', ')}): choose one with --dir`);
  }
  return path.join('out', found[0] as string);
}

export const command: Command = {
  name: 'flash',
  usage: 'tbn flash --port PORT [--dir out/BOARD-ENGINE] [--baud 115200] [--json]',
  summary: 'Espruino: upload the model into Storage and the app as boot code (EspruinoTools); JerryScript: print the flasher commands',
  options: [
    { name: 'port', type: 'string', short: 'p', description: 'serial port of the board, e.g. /dev/ttyACM0' },
    { name: 'dir', type: 'string', short: 'd', description: 'the output directory of tbn build (default: the only out/*/ with a manifest)' },
    { name: 'baud', type: 'string', short: 'b', range: { integer: true, min: 50, max: 4000000 }, description: 'baud rate', default: '115200' },
    { name: 'timeout', type: 'string', range: { integer: true, min: 1, max: 86400 }, description: 'give up after this many seconds', default: '120' },
    { name: 'json', type: 'boolean', description: 'print one JSON object' },
  ],
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`);
    const dir = optString(args, 'dir') ?? onlyBuildDir();
    const port = optString(args, 'port');
    const json = optBool(args, 'json');
    const baud = optInt(args, 'baud') as number;
    const timeoutSec = optInt(args, 'timeout') as number;
    const manifest = loadBuild(dir);

    if (manifest.engine === 'jerryscript') {
      const plan = jerryFlasherPlan(manifest.board, dir, port);
      if (json) {
        io.out(JSON.stringify({ ok: true, engine: 'jerryscript', board: manifest.board, ...plan }));
        return 0;
      }
      const lines = [
        `${manifest.board} runs JerryScript with the app and model linked into the firmware; tbn does not flash it itself.`,
        plan.firmwareExists ? `firmware: ${plan.firmware}` : `1. build the firmware (docs/engines.md):\n   ${plan.build.join('\n   ')}`,
        `${plan.firmwareExists ? '' : '2. '}flash it with ${plan.family === 'stm32' ? 'st-flash (or OpenOCD)' : 'idf.py (or esptool)'}:`,
        ...plan.flash.map((c) => `   ${c}`),
      ];
      io.out(lines.join('\n'));
      return 0;
    }

    if (!port) throw new UsageError('--port is required for Espruino boards');
    if (!(baud > 0)) throw new UsageError(`--baud must be a positive baud rate, got ${baud}`);
    if (!(timeoutSec > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${timeoutSec}`);
    try {
      if (!statSync(port).isCharacterDevice()) throw new TbnError('E_PORT', `${port}: not a serial port (not a character device)`);
    } catch (e) {
      if (e instanceof TbnError) throw e;
      throw new TbnError('E_PORT', `cannot open serial port ${fileErrorMessage(port, e)}`);
    }
    const model = manifest.files.find((f) => f.path === 'model.tbn');
    const app = manifest.files.find((f) => f.path === 'app.js');
    if (!model || !app) throw new TbnError('E_INPUT', `${path.join(dir, 'manifest.json')}: lists no model.tbn/app.js`);
    const progress: Array<{ sent: number; total: number }> = [];
    let lastTenth = -1;
    const onEvent = (e: UploadEvent) => {
      if (e.event === 'connected' && !json) {
        io.err(`connected to ${port}: ${e.board ?? 'unknown board'} ${e.version ?? ''}`.trim());
        io.err(`uploading ${model.path} (${fmt(model.bytes)} B) to Storage and ${app.path} (${fmt(app.bytes)} B) as boot code ...`);
      }
      if (e.event === 'progress' && e.total > 0) {
        progress.push({ sent: e.sent, total: e.total });
        const tenth = Math.floor((10 * e.sent) / e.total);
        if (tenth !== lastTenth && !json) io.err(`uploading: ${Math.min(100, tenth * 10)}% (${fmt(e.sent)} of ${fmt(e.total)} B)`);
        lastTenth = tenth;
      }
    };
    if (!json) io.err(`connecting to ${port} ...`);
    const r = await uploadToEspruino({
      port,
      baud,
      modelFile: path.join(dir, model.path),
      appFile: path.join(dir, app.path),
      storageName: manifest.model.storageName,
      ...(manifest.config ? { extraFiles: [{ name: manifest.config.storageName, file: path.join(dir, manifest.config.path) }] } : {}),
      timeoutSec,
      onEvent,
    });
    if (json) {
      io.out(JSON.stringify({ ok: true, engine: 'espruino', port, board: r.board, version: r.version, bytesSent: r.bytesSent, verified: r.verified, progress }));
    } else {
      io.out(
        `flashed ${manifest.board}: ${model.path} -> Storage "${manifest.model.storageName}", ${manifest.config ? `${manifest.config.path} -> Storage "${manifest.config.storageName}", ` : ''}${app.path} -> .bootcde (runs at boot); ` +
          `${fmt(r.bytesSent)} B sent to ${r.board ?? 'the board'} ${r.version ?? ''}; read back: ` +
          r.verified.map((f) => `${f.name} ${fmt(f.bytes)} B crc32 ${f.crc32.toString(16).padStart(8, '0')}`).join(', ') + ' (match)',
      );
    }
    return 0;
  },
};
