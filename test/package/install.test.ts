/**
 * Installs tbn the way a user does and runs it from outside the repository:
 * `npm pack` (prepack builds what ships), `npm install` of the tarball into a fresh folder (no optional
 * dependencies: EspruinoTools is for `tbn flash` only), then the CLI through npx and the library from a
 * consumer .ts file compiled with `tsc --strict` and run on plain node (no tsx: it is not installed there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(path.join(tmpdir(), 'tbn-install-'));
const app = path.join(work, 'app');
// Only the ordinary PATH: nothing of the repo (no tsx, no node_modules/.bin) leaks into the user's folder.
const env = { ...process.env, NODE_OPTIONS: '', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the test worker (a blocking spawnSync starves vitest's RPC); killed after `timeout`. */
function run(cmd: string, args: string[], timeout = 120_000, cwd = app): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no exit within ${timeout} ms\n${stderr}`));
    }, timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const tbn = (args: string[], timeout?: number) => run('npx', ['--no-install', 'tbn', ...args], timeout);

async function mustRun(cmd: string, args: string[], cwd: string): Promise<void> {
  const r = await run(cmd, args, 240_000, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

let sim: ChildProcess | undefined;

beforeAll(async () => {
  await mustRun('npm', ['pack', '--pack-destination', work, '--loglevel=error'], repo);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${work}`);
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'tbn-user', private: true, type: 'module' }));
  await mustRun('npm', ['install', path.join(work, tarball), '--prefer-offline', '--omit=optional', '--no-audit', '--no-fund', '--loglevel=error'], app);
}, 480_000);

afterAll(() => {
  if (sim?.pid !== undefined && sim.exitCode === null && sim.signalCode === null) {
    try {
      process.kill(-sim.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('ships what the commands need and no tests, benches or TypeScript sources', () => {
    const root = path.join(app, 'node_modules', 'tbn');
    for (const f of ['build/native/tbn.wasm', 'build/train/gemm.wasm', 'build/device/app.js', 'native-modules/tbn_format.h', 'native-modules/core/tbn_run.c', 'native-modules/espruino/jswrap_tbn.c', 'boards/stm32f405/board.json', 'dist/host/index.d.ts', 'dist/host/api/protocol.d.ts']) {
      expect(existsSync(path.join(root, f)), f).toBe(true);
    }
    for (const f of ['test', 'bench', 'host', 'device/app.ts', 'node_modules/tsx']) expect(existsSync(path.join(root, f)), f).toBe(false);
    expect(existsSync(path.join(app, 'node_modules', 'tsx')), 'tsx installed').toBe(false);
    expect(existsSync(path.join(app, 'node_modules', 'espruino')), 'espruino installed without optional dependencies').toBe(false);
  });

  it('npx tbn --version', async () => {
    const r = await tbn(['--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('a consumer .ts file compiles with tsc --strict, runs on plain node, and trains on the wasm engine', async () => {
    copyFileSync(path.join(repo, 'test', 'package', 'consumer.ts'), path.join(app, 'consumer.ts'));
    const tsc = await run(process.execPath, [
      path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--typeRoots', path.join(repo, 'node_modules', '@types'), '--types', 'node', 'consumer.ts',
    ]);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    const r = await run(process.execPath, ['consumer.js']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.version).toBe(version);
    expect(out.engine).toBe('wasm-simd');
    expect(out.magic).toBe(0x314e4254); // "TBN1"
    expect(out.referenceAgreesWithNaive).toMatch(/^(\d+)\/\1$/);
    expect(out.stm32f405).toBe('stm32f405');
    expect(out.helloFrames).toBe(1);
    expect(existsSync(path.join(app, 'tiny.tbn'))).toBe(true);
  }, 120_000);

  it('npx tbn train writes a checkpoint trained on the wasm engine, not the JS fallback', async () => {
    const r = await tbn(['train', '--data', 'synthetic', '--variants', 'tbn', '--epochs', '1', '--limit', '200', '--no-refit', '--lr', '1e-3', '-o', 'ckpt/har', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const ckpt = JSON.parse(readFileSync(path.join(app, 'ckpt', 'har-tbn.ckpt.json'), 'utf8')) as { train: { engine: string } };
    expect(ckpt.train.engine).toBe('wasm-simd');
  }, 120_000);

  it('npx tbn demo (1 epoch, synthetic data) ends with its bit-exact table', async () => {
    const r = await tbn(['demo', '--epochs', '1', '--synthetic'], 180_000);
    expect(r.code, r.stderr).toBe(0);
    const m = /\| predictions bit-exact with the reference\s*\| (\d+)\/(\d+) \|/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m?.[2])).toBeGreaterThan(0);
    expect(m?.[1]).toBe(m?.[2]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\| prediction latency p50/);
  }, 180_000);

  it('npx tbn build --board stm32f405 --engine espruino uses the shipped device bundle', async () => {
    const r = await tbn(['build', '--board', 'stm32f405', '--engine', 'espruino', '--model', 'tiny.tbn', '--out', 'out/stm32', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ok).toBe(true);
    expect(readFileSync(path.join(app, 'out', 'stm32', 'app.js'))).toEqual(readFileSync(path.join(app, 'node_modules', 'tbn', 'build', 'device', 'app.js')));
  }, 60_000);

  it('npx tbn sim + tbn stream over a pty', async () => {
    const link = path.join(work, 'port');
    sim = spawn('npx', ['--no-install', 'tbn', 'sim', '--model', 'tiny.tbn', '--link', link, '--seconds', '90'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let simOut = '';
    let simErr = '';
    sim.stdout?.on('data', (b: Buffer) => (simOut += b.toString()));
    sim.stderr?.on('data', (b: Buffer) => (simErr += b.toString()));
    for (let i = 0; i < 300 && !simOut.includes(link); i++) await new Promise((r) => setTimeout(r, 100));
    expect(simOut.trim(), simErr).toBe(link);
    const stream = await run(path.join(app, 'node_modules', '.bin', 'tbn'), ['stream', '--port', link, '--recording', 'recording.csv', '--json'], 60_000);
    expect(stream.code, stream.stderr).toBe(0);
    const report = JSON.parse(stream.stdout) as { predictions: number; expected: number; deviceCounters: { samples: number } };
    expect(report.predictions).toBeGreaterThan(0);
    expect(report.predictions).toBe(report.expected);
    expect(report.deviceCounters.samples).toBe(600); // 12 s at 50 Hz
    const exited = new Promise<number | null>((resolve) => sim?.on('exit', (code) => resolve(code)));
    if (sim.pid !== undefined) process.kill(-sim.pid, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(code, simErr).not.toBe('timeout');
  }, 90_000);

  it('tbn flash without the optional EspruinoTools says which package to install, in one line', async () => {
    const r = await tbn(['flash', '--port', '/dev/null', '--dir', 'out/stm32']);
    expect(r.code).toBe(1);
    const last = r.stderr.trimEnd().split('\n').at(-1) ?? '';
    expect(last).toBe('tbn flash: the npm package "espruino" (EspruinoTools) is not installed: npm install espruino');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
