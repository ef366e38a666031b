/**
 * issue 16 "Must show": hostile cases end to end through the CLI, each tbn command a subprocess
 * (bin/tbn.js) with a hard time bound, serial links on real ptys (socat):
 *   - garbage written into a live pty during a fast stream: a non-zero exit within a bound;
 *   - the simulator killed mid-stream, and Ctrl-C of the streamer: the partial report;
 *   - a silent port and an echo-only port for flash;
 *   - special files as model paths (/dev/zero, a FIFO, a tty, a folder) for every command taking one;
 *   - a full disk simulated with `ulimit -f` (EFBIG): the previous good file stays intact;
 *   - an unreadable CSV (EACCES, as an unprivileged user): one line with the code.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { rng } from '../../host/format/random-model.ts';
import { REPO, runCli, startCli, waitFor } from './cli-helpers.ts';

const HAR_CKPT = path.join(REPO, 'test/fixtures/models/har-tbn4.ckpt.json');
const FMNIST_CKPT = path.join(REPO, 'test/fixtures/models/fmnist-tbn4.ckpt.json');
const BUNDLE = path.join(REPO, 'build/device/app.js');
const CLASSES = ['SEATED', 'STANDING_UP', 'WALKING', 'TURNING', 'SITTING_DOWN'];
const hasSocat = spawnSync('socat', ['-V']).status === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

let dir: string;
let model: string;
let buildDir: string;
const background: ChildProcess[] = [];

const silentIO = { out: () => undefined, err: () => undefined, interactive: false };

/** A labelled 6-channel recording in the generic CSV layout (one row per sample). */
function writeRecording(file: string, samples: number, seed: number): void {
  const r = rng(seed);
  const lines = ['a,b,c,d,e,f,label'];
  for (let k = 0; k < samples; k++) {
    const row: string[] = [];
    for (let c = 0; c < 6; c++) row.push(((r() - 0.5) * 8).toFixed(3));
    row.push(CLASSES[Math.floor(k / 500) % CLASSES.length] as string);
    lines.push(row.join(','));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** socat with one end linked at `link`; the other end is `peer` (a second pty nobody opens, or EXEC:cat). */
async function socat(link: string, peer: string): Promise<ChildProcess> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${link}`, peer], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  background.push(child);
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(() => existsSync(link) && /starting data transfer loop/.test(log), 5000, `socat ${peer}`);
  return child;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // already gone
  }
}

/** `tbn sim` as a subprocess behind a pty at `link`; resolves once it says the port is ready. */
async function startSim(link: string) {
  const sim = startCli(['sim', '--model', model, '--bundle', BUNDLE, '--link', link, '--seconds', '120'], { boundMs: 130_000 });
  background.push(sim.child);
  await waitFor(() => /serial port ready/.test(sim.stderr()), 20_000, 'tbn sim');
  return sim;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tbn-hostile-'));
  model = path.join(dir, 'model.tbn');
  buildDir = path.join(dir, 'out');
  if ((await main(['pack', HAR_CKPT, '-o', model], silentIO)) !== 0) throw new Error('pack failed');
  if ((await main(['build', '--board', 'stm32f405', '--model', model, '--bundle', BUNDLE, '-o', buildDir], silentIO)) !== 0) throw new Error('build failed');
});

afterAll(() => {
  for (const c of background) killGroup(c);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasSocat)('streaming through a real pty (socat)', () => {
  it('garbage written into the live pty during a fast stream: non-zero exit within 30 s, with the stall named', async () => {
    const link = path.join(dir, 'garbage-port');
    const rec = path.join(dir, 'long.csv');
    writeRecording(rec, 200_000, 1);
    const sim = await startSim(link);
    const stream = startCli(['stream', '--port', link, '--recording', rec, '--quiet'], { boundMs: 60_000 });
    await waitFor(() => /\[1\/1\]/.test(stream.stderr()), 20_000, 'the stream to start');
    await new Promise((r) => setTimeout(r, 500));
    // Random bytes into the pty for as long as the streamer runs (at most 30 s).
    const fd = openSync(link, 'w');
    const r = rng(7);
    const junk = Buffer.alloc(64 * 1024);
    let ended = false;
    void stream.done.then(() => (ended = true));
    const t0 = Date.now();
    let written = 0;
    while (!ended && Date.now() - t0 < 30_000) {
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(r() * 256);
      try {
        written += writeSync(fd, junk);
      } catch {
        // EAGAIN: the pty is full; keep trying while the streamer runs
      }
      await new Promise((res) => setTimeout(res, 5));
    }
    closeSync(fd);
    const result = await stream.done;
    killGroup(sim.child);
    expect(written).toBeGreaterThan(100_000);
    expect(result.timedOut, result.stderr).toBe(false);
    expect(Date.now() - t0).toBeLessThan(45_000);
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toMatch(/tbn stream: (the device stopped answering|the device refused the stream)/);
  }, 120_000);

  it('the simulator killed mid-stream: "stopped answering during RECORDING" and the partial report', async () => {
    const link = path.join(dir, 'dying-port');
    const recs = Array.from({ length: 12 }, (_, i) => path.join(dir, `rec-${i}.csv`));
    recs.forEach((f, i) => writeRecording(f, 20_000, 10 + i));
    const sim = await startSim(link);
    const stream = startCli(['stream', '--port', link, ...recs.flatMap((f) => ['--recording', f]), '--quiet'], { boundMs: 60_000 });
    await waitFor(() => /\[3\/12\]/.test(stream.stderr()), 30_000, 'two recordings to finish');
    killGroup(sim.child); // tbn sim and its socat die at once
    const result = await stream.done;
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tbn stream: the device stopped answering during .*rec-\d+\.csv/);
    expect(result.stdout).toMatch(/^partial report: \d+ of 12 recordings finished before it ended/);
    expect(result.stdout).toMatch(/predictions: \d+\/\d+ windows, accuracy/);
  }, 120_000);

  it('Ctrl-C of the streamer prints the partial summary and exits 130', async () => {
    const link = path.join(dir, 'sigint-port');
    const recs = Array.from({ length: 12 }, (_, i) => path.join(dir, `rec-${i}.csv`));
    if (!existsSync(recs[11] as string)) recs.forEach((f, i) => writeRecording(f, 20_000, 10 + i));
    const sim = await startSim(link);
    const stream = startCli(['stream', '--port', link, ...recs.flatMap((f) => ['--recording', f]), '--quiet'], { boundMs: 60_000 });
    await waitFor(() => /\[3\/12\]/.test(stream.stderr()), 30_000, 'two recordings to finish');
    stream.child.kill('SIGINT');
    const result = await stream.done;
    killGroup(sim.child);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/tbn stream: interrupted during .*rec-\d+\.csv/);
    expect(result.stdout).toMatch(/^partial report: \d+ of 12 recordings finished before it ended/);
  }, 120_000);

  it('flash: a silent port and an echo-only port fail with "no Espruino answered", non-zero, within 60 s', async () => {
    const silent = path.join(dir, 'silent');
    const echo = path.join(dir, 'echo');
    await socat(silent, 'pty,raw,echo=0');
    await socat(echo, 'EXEC:cat');
    for (const port of [silent, echo]) {
      const r = await runCli(['flash', '--port', port, '--dir', buildDir, '--json'], { boundMs: 60_000 });
      expect(r.timedOut, port).toBe(false);
      expect(r.code, `${port}: ${r.stderr}`).toBe(1);
      expect(r.stdout).not.toContain('"ok":true');
      expect(r.stderr).toContain(`no Espruino answered on ${port}`);
    }
  }, 150_000);
});

describe('special files as model paths', () => {
  const commands: Array<[string, (m: string) => string[]]> = [
    ['inspect', (m) => ['inspect', m]],
    ['eval', (m) => ['eval', m, '--data', 'synthetic']],
    ['pack', (m) => ['pack', m, '-o', path.join(dir, 'never.tbn')]],
    ['sim --model', (m) => ['sim', '--model', m, '--seconds', '1']],
    ['sim --bundle', (m) => ['sim', '--model', model, '--bundle', m, '--seconds', '1']],
    ['build --bundle', (m) => ['build', '--board', 'stm32f405', '--model', model, '--bundle', m, '-o', path.join(dir, 'never')]],
    ['build --model', (m) => ['build', '--board', 'stm32f405', '--model', m, '--bundle', BUNDLE, '-o', path.join(dir, 'never')]],
  ];
  it('/dev/zero, a FIFO, a tty and a folder are refused in one line within 15 s by every command (and as --bundle)', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const specials: Array<[string, RegExp]> = [
      ['/dev/zero', /\/dev\/zero: not a regular file/],
      [fifo, /fifo: not a regular file/],
      [dir, /: is a directory, not a regular file/],
    ];
    if (hasSocat) {
      const tty = path.join(dir, 'tty');
      await socat(tty, 'pty,raw,echo=0');
      specials.push([tty, /tty: not a regular file/]);
    }
    const runs = commands.flatMap(([name, argv]) => specials.map(([file, expected]) => ({ name, file, expected, run: runCli(argv(file), { boundMs: 15_000 }) })));
    for (const c of runs) {
      const r = await c.run;
      const what = `${c.name} ${c.file}: ${r.stderr}`;
      expect(r.timedOut, what).toBe(false);
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toMatch(c.expected);
      expect(r.stderr, what).not.toMatch(/internal error|\n\s+at /);
    }
  }, 120_000);
});

describe('special files in a build folder', () => {
  it('flash --dir with a FIFO for manifest.json or for a listed file: refused in one line, not read forever', async () => {
    const fifoManifest = path.join(dir, 'fifo-manifest');
    mkdirSync(fifoManifest);
    execFileSync('mkfifo', [path.join(fifoManifest, 'manifest.json')]);
    let r = await runCli(['flash', '--port', '/dev/null', '--dir', fifoManifest], { boundMs: 15_000 });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/manifest\.json: not a regular file/);
    const fifoModel = path.join(dir, 'fifo-model');
    mkdirSync(fifoModel);
    for (const f of ['manifest.json', 'app.js']) writeFileSync(path.join(fifoModel, f), readFileSync(path.join(buildDir, f)));
    execFileSync('mkfifo', [path.join(fifoModel, 'model.tbn')]);
    r = await runCli(['flash', '--port', '/dev/null', '--dir', fifoModel], { boundMs: 15_000 });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/model\.tbn: not a regular file/);
  }, 60_000);
});

describe('a full disk (ulimit -f: EFBIG)', () => {
  it('pack keeps the previous good model whole and leaves no temp file', async () => {
    const out = path.join(dir, 'efbig');
    mkdirSync(out);
    const target = path.join(out, 'model.tbn');
    writeFileSync(target, readFileSync(model)); // the previous good model (2.5 KB)
    const before = readFileSync(target);
    // The Fashion-MNIST model packs to 10 KB; a 4 KB file-size limit makes the write fail with EFBIG.
    const r = await runCli(['pack', FMNIST_CKPT, '-o', target], { boundMs: 30_000, shellPrefix: 'ulimit -f 4' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot write .*model\.tbn: EFBIG/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(readdirSync(out)).toEqual(['model.tbn']);
  }, 60_000);

  it('build keeps the previous build whole (app.js, manifest.json) and leaves no temp file', async () => {
    const out = path.join(dir, 'efbig-build');
    expect(await main(['build', '--board', 'stm32f405', '--model', model, '--bundle', BUNDLE, '-o', out], silentIO)).toBe(0);
    const before = new Map(readdirSync(out).map((f) => [f, readFileSync(path.join(out, f))]));
    // A bigger app bundle (3 KB of comment more, still within the board's budgets), over an 8 KB file-size limit.
    const big = path.join(dir, 'big-app.js');
    writeFileSync(big, `${readFileSync(BUNDLE, 'latin1')}\n/*${'x'.repeat(3000)}*/\n`);
    expect(readFileSync(big).length).toBeGreaterThan(8 * 1024);
    const r = await runCli(['build', '--board', 'stm32f405', '--model', model, '--bundle', big, '-o', out], { boundMs: 30_000, shellPrefix: 'ulimit -f 8' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot write .*app\.js: EFBIG/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const after = readdirSync(out);
    expect(after.sort()).toEqual([...before.keys()].sort());
    for (const [f, bytes] of before) expect(readFileSync(path.join(out, f)).equals(bytes), f).toBe(true);
  }, 60_000);
});

describe('a full disk while bundling the device app (#18)', () => {
  it('device/build.mjs under ulimit -f: one line, the bundle unchanged, no app.js.<pid>.tmp left', () => {
    const before = readFileSync(BUNDLE);
    const r = spawnSync('bash', ['-c', `ulimit -f 4; exec '${process.execPath}' device/build.mjs`], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim()).toMatch(/^device\/build\.mjs: cannot write .*app\.js: EFBIG$/);
    expect(readFileSync(BUNDLE).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(BUNDLE)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 150_000);
});

describe.skipIf(!hasSetpriv || process.getuid?.() !== 0)('unreadable files (EACCES, as user nobody; needs root and setpriv)', () => {
  it('a CSV for train and a recording for stream: one line with the path and EACCES', async () => {
    const secret = path.join(dir, 'secret');
    mkdirSync(secret);
    chmodSync(dir, 0o755);
    chmodSync(secret, 0o755);
    const csv = path.join(secret, 'data.csv');
    writeRecording(csv, 50, 3);
    chmodSync(csv, 0o600); // root's; nobody cannot read it
    const train = await runCli(['train', '--data', `csv:${csv}`, '--epochs', '1', '-o', path.join(tmpdir(), 'tbn-never')], { boundMs: 30_000, asUser: 65534 });
    expect(train.code, train.stderr).toBe(1);
    expect(train.stderr).toMatch(/data\.csv: EACCES/);
    expect(train.stderr).not.toMatch(/internal error|\n\s+at /);
    const stream = await runCli(['stream', '--port', '/dev/null', '--recording', csv], { boundMs: 30_000, asUser: 65534 });
    expect(stream.code, stream.stderr).toBe(1);
    expect(stream.stderr).toMatch(/data\.csv: EACCES/);
    expect(stream.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 60_000);
});
