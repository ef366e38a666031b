/**
 * `tbn flash` over a pty to a fake Espruino REPL (test/contract/fake-espruino.ts):
 * the bytes EspruinoTools sends must rebuild the exact model in Storage and the
 * exact app as boot code, and progress must be reported.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeviceBundle } from '../../host/build/bundle.ts';
import { main } from '../../host/cli.ts';
import { randomPackedModel } from '../../host/format/random-model.ts';
import { openPtyPair } from '../../host/sim/pty.ts';
import { SerialPort } from 'serialport';
import { FAKE_ENV, type FakeEspruinoOptions, startFakeEspruino } from './fake-espruino.ts';
import { captureIO } from '../cli/cli-io.ts';

/** Rebuilds a Storage file from `require("Storage").write(name, data, offset[, total])` lines. */
function storageFile(lines: string[], name: string): { bytes: Buffer; chunks: number; total: number | undefined } {
  const prefix = `require("Storage").write(${JSON.stringify(name)},`;
  const parts: Array<{ offset: number; data: Buffer }> = [];
  let total: number | undefined;
  for (const line of lines.filter((l) => l.startsWith(prefix))) {
    // Evaluate only the arguments, with atob, in an empty context: the line is a call expression we did not write.
    const args = vm.runInNewContext(`[${line.slice(prefix.length).replace(/\);?$/, '')}]`, {
      atob: (s: string) => Buffer.from(s, 'base64').toString('latin1'),
    }) as [string, number, number?];
    parts.push({ offset: args[1], data: Buffer.from(args[0], 'latin1') });
    if (args[2] !== undefined) total = args[2];
  }
  let next = 0;
  for (const p of parts) {
    expect(p.offset, `${name}: chunks are sent in order without gaps`).toBe(next);
    next += p.data.length;
  }
  return { bytes: Buffer.concat(parts.map((p) => p.data)), chunks: parts.length, total };
}

let tmp: string;
let dir: string;
const model = randomPackedModel(7);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'tbn-flash-test-'));
  const modelFile = path.join(tmp, 'm.tbn');
  writeFileSync(modelFile, model);
  dir = path.join(tmp, 'out');
  const io = captureIO();
  const code = await main(['build', '--board', 'stm32f405', '--engine', 'espruino', '--model', modelFile, '-o', dir, '--bundle', buildDeviceBundle()], io);
  if (code !== 0) throw new Error(`tbn build failed: ${io.stderr.join('\n')}`);
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `tbn flash --dir <the build>` into a fake Espruino behind a fresh pty; the fake's record outlives the pty. */
async function flashFakeEspruino(opts: FakeEspruinoOptions = {}) {
  const pty = await openPtyPair();
  const fake = await startFakeEspruino(pty.devicePath, opts);
  const io = captureIO();
  try {
    const code = await main(['flash', '--port', pty.hostPath, '--dir', dir], io);
    return { code, io, fake, port: pty.hostPath };
  } finally {
    await fake.close();
    await pty.close();
  }
}

describe('tbn flash (Espruino, EspruinoTools over a pty)', () => {
  it('writes the exact model into Storage, the app as boot code, and reports progress', async () => {
    const { code, io, fake, port } = await flashFakeEspruino();
    expect(code, io.stderr.join('\n')).toBe(0);
    const lines = fake.lines();
    // reset first, the model, the app, then load() to run it (it also runs at every boot)
    const resetAt = lines.indexOf('reset();');
    expect(resetAt).toBeGreaterThanOrEqual(0);
    const firstModel = lines.findIndex((l) => l.startsWith('require("Storage").write("model.tbn"'));
    const firstApp = lines.findIndex((l) => l.startsWith('require("Storage").write(".bootcde"'));
    const loadAt = lines.lastIndexOf('load()');
    expect(resetAt < firstModel && firstModel < firstApp && firstApp < loadAt).toBe(true);

    const m = storageFile(lines, 'model.tbn');
    expect(m.bytes.equals(Buffer.from(model))).toBe(true);
    expect(m.total).toBe(model.length);
    expect(m.chunks).toBe(Math.ceil(model.length / 384)); // EspruinoTools' 384-byte atob chunks
    const app = storageFile(lines, '.bootcde');
    expect(app.bytes.equals(readFileSync(path.join(dir, 'app.js')))).toBe(true);

    const err = io.stderr.join('\n');
    expect(err).toContain(`connected to ${port}: ${FAKE_ENV.BOARD} ${FAKE_ENV.VERSION}`);
    const pct = [...err.matchAll(/uploading: (\d+)% \(([\d,]+) of ([\d,]+) B\)/g)].map((x) => Number(x[1]));
    expect(pct.length).toBeGreaterThanOrEqual(3);
    expect(pct).toEqual([...pct].sort((a, b) => a - b));
    expect(pct[pct.length - 1]).toBeGreaterThanOrEqual(90);
    expect(io.stdout.join('\n')).toMatch(/flashed stm32f405: model\.tbn -> Storage "model\.tbn", app\.js -> \.bootcde/);
    expect(io.stdout.join('\n')).toMatch(/read back: model\.tbn [\d,]+ B crc32 [0-9a-f]{8}, \.bootcde [\d,]+ B crc32 [0-9a-f]{8} \(match\)/);
    expect(Buffer.from(fake.storage.get('model.tbn') ?? '', 'latin1').equals(Buffer.from(model))).toBe(true);
  }, 120_000);

  // issue 16 #1: a port where nothing answers, or one that only echoes, was reported as flashed.
  it('refuses a silent port and an echo-only port ("no Espruino answered"), and --baud 0', async () => {
    for (const peer of ['silent', 'echo'] as const) {
      const pty = await openPtyPair();
      const echo = new SerialPort({ path: pty.devicePath, baudRate: 115200, autoOpen: false });
      await new Promise<void>((resolve, reject) => echo.open((e) => (e ? reject(e) : resolve())));
      if (peer === 'echo') echo.on('data', (d: Buffer) => echo.write(d));
      else echo.on('data', () => undefined);
      const io = captureIO();
      let code: number;
      try {
        code = await main(['flash', '--port', pty.hostPath, '--dir', dir, '--json'], io);
      } finally {
        await new Promise<void>((resolve) => echo.close(() => resolve()));
        await pty.close();
      }
      expect(code, peer).toBe(1);
      expect(io.stdout.join(''), peer).not.toContain('"ok":true');
      expect(io.stderr.join('\n'), peer).toContain(`no Espruino answered on ${pty.hostPath}`);
    }
    const io = captureIO();
    expect(await main(['flash', '--port', '/dev/null', '--dir', dir, '--baud', '0'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--baud must be .*got "?0"?/);
  }, 120_000);

  it('says "flashed" only when the read-back length and CRC32 match (a corrupted Storage write fails)', async () => {
    const { code, io, fake } = await flashFakeEspruino({ corruptFile: 'model.tbn' });
    expect(code).toBe(1);
    expect(io.stdout.join('')).not.toMatch(/flashed/);
    expect(io.stderr.join('\n')).toMatch(/read-back of Storage "model\.tbn" does not match: \d+ B, crc32 [0-9a-f]{8}, sent \d+ B/);
    expect(fake.lines()).not.toContain('load()'); // the app is not started on a bad model
  }, 120_000);

  // issue 16 #15: the worker's uncaught-exception dump ended up in the message.
  it('names a missing port in one line, without a stack dump', async () => {
    const io = captureIO();
    expect(await main(['flash', '--port', '/nonexistent', '--dir', dir], io)).toBe(1);
    const err = io.stderr.join('\n');
    expect(err).toMatch(/cannot open serial port \/nonexistent: ENOENT/);
    expect(err).not.toMatch(/node:internal|triggerUncaughtException|\n\s+at /);
  });

  it('fails with a clear message when the build directory has no manifest or a changed file', async () => {
    let io = captureIO();
    expect(await main(['flash', '--port', '/dev/null', '--dir', path.join(tmp, 'nothing')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/manifest\.json: not found; run tbn build first/);
    const copy = path.join(tmp, 'changed');
    rmSync(copy, { recursive: true, force: true });
    await main(['build', '--board', 'stm32f405', '--model', path.join(tmp, 'm.tbn'), '-o', copy, '--bundle', path.join(dir, 'app.js')], captureIO());
    writeFileSync(path.join(copy, 'model.tbn'), Buffer.from(model).subarray(1));
    io = captureIO();
    expect(await main(['flash', '--port', '/dev/null', '--dir', copy], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/model\.tbn: changed since tbn build/);
  });

  it('prints the flasher commands for JerryScript firmware', async () => {
    const out = path.join(tmp, 'jerry');
    await main(['build', '--board', 'stm32f405', '--engine', 'jerryscript', '--model', path.join(tmp, 'm.tbn'), '-o', out, '--bundle', path.join(dir, 'app.js')], captureIO());
    const io = captureIO();
    expect(await main(['flash', '--dir', out], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain(`st-flash --reset write ${path.join(out, 'firmware.bin')} 0x08000000`);
    expect(text).toContain('make -C boards/stm32f405/jerryscript');
    const esp = path.join(tmp, 'jerry-esp32');
    await main(['build', '--board', 'esp32', '--engine', 'jerryscript', '--model', path.join(tmp, 'm.tbn'), '-o', esp, '--bundle', path.join(dir, 'app.js')], captureIO());
    const io2 = captureIO();
    expect(await main(['flash', '--dir', esp, '--port', '/dev/ttyUSB0'], io2)).toBe(0);
    expect(io2.stdout.join('\n')).toContain(`idf.py -C boards/esp32/jerryscript -B ${path.join(esp, 'idf')} -p /dev/ttyUSB0 flash`);
  });
});

const espruinoBin = process.env.TBN_ESPRUINO_BIN;

/** The real Espruino REPL behind a pty: socat runs the Linux binary with its console on the pty. */
async function espruinoOnPty(bin: string, cwd: string): Promise<{ port: string; stop(): Promise<void> }> {
  const port = path.join(cwd, 'port');
  // Own process group: stopping it also ends the Espruino process socat started (it outlives socat otherwise).
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${port}`, `EXEC:${bin},pty,raw,echo=0`], { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 5000;
  while (!(existsSync(port) && /starting data transfer loop/.test(log))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`socat/espruino did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async stop() {
      const group = -(child.pid as number);
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(group, sig);
        } catch {
          // the group is gone already
        }
      };
      signal('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      signal('SIGKILL'); // Espruino's Linux build does not always stop on SIGTERM while it waits for input
    },
  };
}

describe.runIf(espruinoBin)('tbn flash to a real Espruino (TBN_ESPRUINO_BIN, Linux build with tbn)', () => {
  it('leaves the exact model and app in Storage, and the model opens with require("tbn")', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'tbn-flash-espruino-')); // Storage is ./espruino.flash
    const board = await espruinoOnPty(espruinoBin as string, cwd);
    const io = captureIO();
    let code: number;
    try {
      code = await main(['flash', '--port', board.port, '--dir', dir], io);
    } finally {
      await board.stop();
    }
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(io.stderr.join('\n')).toMatch(/connected to .*: LINUX_TBN 2v29/);
    const app = readFileSync(path.join(dir, 'app.js'), 'latin1');
    const verify = path.join(cwd, 'verify.js');
    writeFileSync(
      verify,
      `var S = require("Storage"), m = S.read("model.tbn"), b = S.read(".bootcde");
var want = "${Buffer.from(model).toString('hex')}", ok = !!m && m.length === want.length / 2;
for (var i = 0; ok && i < m.length; i++) if (m.charCodeAt(i) !== parseInt(want.substr(2 * i, 2), 16)) ok = false;
var appOk = b === atob("${Buffer.from(app, 'latin1').toString('base64')}");
var info = require("tbn").info(require("tbn").open(m));
print("verify", ok, appOk, info.fileBytes);
result = ok && appOk && info.fileBytes === ${model.length};`,
    );
    const r = spawnSync(espruinoBin as string, ['--test', verify], { cwd, encoding: 'latin1', timeout: 60_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`verify true true ${model.length}`);
    rmSync(cwd, { recursive: true, force: true });
  }, 120_000);
});
