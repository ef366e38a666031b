/**
 * `tbn firmware` without engine checkouts (CI): it refuses a missing or wrong
 * checkout with the version we test against and the commands to get it,
 * names missing toolchain packages, says what ESP32 builds lack, and resolves
 * our board files. The builds themselves run in `npm run test:engines`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { previousBuild, writeBuildArtifacts } from '../../host/firmware/build.ts';
import { randomPackedModel } from '../../host/format/random-model.ts';
import { PINNED } from '../../host/firmware/engines.ts';
import { resolveTarget } from '../../host/firmware/targets.ts';
import { missingTools, requireTools, TOOLS } from '../../host/firmware/toolchain.ts';
import { repoRoot } from '../contract/runners.ts';
import { captureIO } from '../cli/cli-io.ts';

let tmp: string;
/** A git repository with the engine's marker files, committed: a checkout at some other commit. */
function fakeCheckout(name: string, markers: string[]): string {
  const dir = path.join(tmp, name);
  for (const m of markers) {
    mkdirSync(path.dirname(path.join(dir, m)), { recursive: true });
    writeFileSync(path.join(dir, m), '# not the real file\n');
  }
  const git = (...a: string[]) => execFileSync('git', ['-C', dir, ...a], { stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'fake');
  git('tag', 'fake-tag');
  return dir;
}
const headOf = (dir: string) => execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'tbn-firmware-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function firmware(args: string[]) {
  const io = captureIO();
  const code = await main(['firmware', ...args, '-o', path.join(tmp, 'out')], io);
  return { code, err: io.stderr.join('\n'), out: io.stdout.join('\n') };
}

describe('tbn firmware refuses a checkout it cannot build, and says how to get the right one', () => {
  it('a missing Espruino directory: names the commit we test against and the clone/checkout commands', async () => {
    const dir = path.join(tmp, 'no-such-espruino');
    const r = await firmware(['--engine', 'espruino', '--engine-dir', dir, '--board', 'linux']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`--engine-dir ${dir}: does not exist.`);
    expect(r.err).toContain('Espruino commit c5ff787b (2v29.277)');
    expect(r.err).toContain(`git clone https://github.com/espruino/Espruino ${dir}`);
    expect(r.err).toContain(`git -C ${dir} checkout c5ff787b`);
    expect(r.err).toMatch(/downloads nothing/);
  });

  it('a missing JerryScript directory: names tag v3.0.0 (commit 50200152)', async () => {
    const dir = path.join(tmp, 'no-such-jerry');
    const r = await firmware(['--engine', 'jerryscript', '--engine-dir', dir, '--board', 'stm32f405']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('JerryScript tag v3.0.0 (commit 50200152)');
    expect(r.err).toContain(`git clone https://github.com/jerryscript-project/jerryscript ${dir}`);
    expect(r.err).toContain(`git -C ${dir} checkout v3.0.0`);
  });

  it('an Espruino git checkout at another commit: says which commit it is at and which one we need', async () => {
    const dir = fakeCheckout('espruino-other', PINNED.espruino.markers);
    const head = headOf(dir);
    const r = await firmware(['--engine', 'espruino', '--engine-dir', dir, '--board', 'linux']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`is at commit ${head.slice(0, 8)} (fake-tag), not the commit c5ff787b (2v29.277) we test against`);
    expect(r.err).toContain(`git -C ${dir} checkout c5ff787b`);
    expect(head).not.toBe(PINNED.espruino.commit);
  });

  it('a JerryScript git checkout at another commit', async () => {
    const dir = fakeCheckout('jerry-other', PINNED.jerryscript.markers);
    const r = await firmware(['--engine', 'jerryscript', '--engine-dir', dir, '--board', 'linux']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`is at commit ${headOf(dir).slice(0, 8)} (fake-tag), not the tag v3.0.0 (commit 50200152) we test against`);
    expect(r.err).toContain(`git -C ${dir} checkout v3.0.0`);
  });

  it('a directory that is not the engine, or not a git checkout', async () => {
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    let r = await firmware(['--engine', 'espruino', '--engine-dir', empty, '--board', 'linux']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a Espruino source tree (no Makefile, scripts/build_jswrapper.py, src/jsvar.c)');
    const copy = path.join(tmp, 'jerry-copy');
    for (const m of PINNED.jerryscript.markers) {
      mkdirSync(path.dirname(path.join(copy, m)), { recursive: true });
      writeFileSync(path.join(copy, m), '');
    }
    r = await firmware(['--engine', 'jerryscript', '--engine-dir', copy, '--board', 'linux']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a git checkout');
  });

  it('the other version is accepted only when asked, and then ESP32 says exactly what is missing (ESP-IDF)', async () => {
    const dir = fakeCheckout('espruino-esp32', PINNED.espruino.markers);
    const saved = process.env.IDF_PATH;
    delete process.env.IDF_PATH;
    try {
      const r = await firmware(['--engine', 'espruino', '--engine-dir', dir, '--board', 'ESP32_TBN', '--allow-other-version']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('ESP32 firmware needs ESP-IDF');
      expect(r.err).toContain('Debian does not package');
      expect(r.err).toContain('IDF_PATH is not set');
      const j = await firmware(['--engine', 'jerryscript', '--engine-dir', fakeCheckout('jerry-esp32', PINNED.jerryscript.markers), '--board', 'esp32', '--allow-other-version']);
      expect(j.err).toContain('ESP32 firmware needs ESP-IDF');
    } finally {
      if (saved !== undefined) process.env.IDF_PATH = saved;
    }
  });

  it('flags: engine, board and output directory', async () => {
    expect((await firmware(['--engine', 'v8', '--engine-dir', tmp, '--board', 'linux'])).err).toMatch(/--engine must be espruino or jerryscript, got "v8"/);
    expect((await firmware(['--engine', 'espruino', '--board', 'linux'])).err).toMatch(/--engine-dir is required/);
    const r = await firmware(['--engine', 'espruino', '--engine-dir', tmp, '--board', 'nrf51']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no Espruino board file for --board "nrf51"; ours: .*linux \(LINUX_TBN\).*stm32f401 \(PICO_R1_3_TBN\)/);
    const run = await firmware(['--engine', 'espruino', '--engine-dir', tmp, '--board', 'linux', '--run']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--run needs --model/);
    const io = captureIO();
    expect(await main(['firmware', '--engine', 'espruino', '--engine-dir', tmp, '--board', 'linux', '-o', repoRoot], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/choose a directory of its own/);
  });
});

describe('targets and toolchain', () => {
  it('resolves our board files by board directory or by board file name', () => {
    expect(resolveTarget('espruino', 'linux')).toMatchObject({ board: 'linux', family: 'linux', espruinoBoard: 'LINUX_TBN', upstreamBoard: 'LINUX', runnable: 'linux' });
    expect(resolveTarget('espruino', 'PICO_R1_3_TBN')).toMatchObject({ board: 'stm32f401', family: 'arm', upstreamBoard: 'PICO_R1_3', runnable: null });
    expect(resolveTarget('espruino', 'stm32f4discovery')).toMatchObject({ board: 'stm32f405', espruinoBoard: 'STM32F4DISCOVERY_TBN' });
    expect(resolveTarget('espruino', 'ESP32_TBN')).toMatchObject({ family: 'esp32' });
    expect(resolveTarget('jerryscript', 'stm32f405')).toMatchObject({ family: 'arm', runnable: 'qemu' });
    expect(() => resolveTarget('jerryscript', 'stm32f401')).toThrow(/no JerryScript firmware for --board "stm32f401"/);
  });

  it('names the Debian package of every missing tool, with one apt-get line', () => {
    const env = { PATH: path.join(tmp, 'empty-bin') };
    mkdirSync(env.PATH, { recursive: true });
    const tools = [TOOLS.make, TOOLS.armGcc, TOOLS.cmake, TOOLS.gxx];
    const problems = missingTools(tools, env).map((p) => p.problem);
    expect(problems).toEqual([
      expect.stringMatching(/^make not found .*: apt-get install make$/),
      expect.stringMatching(/^arm-none-eabi-gcc not found .*: apt-get install gcc-arm-none-eabi$/),
      expect.stringMatching(/^cmake not found .*: apt-get install cmake$/),
      expect.stringMatching(/^g\+\+ not found .*: apt-get install g\+\+$/),
    ]);
    expect(() => requireTools(tools, env)).toThrow(/sudo apt-get install --no-install-recommends make gcc-arm-none-eabi cmake g\+\+/);
    // a tool present on PATH is not reported
    const bin = path.join(tmp, 'one-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'cmake'), '#!/bin/sh\n', { mode: 0o755 });
    expect(missingTools([TOOLS.cmake], { PATH: bin })).toEqual([]);
  });

  it('the STM32F405 JerryScript makefile refuses relative paths (make -C would resolve them inside the board folder)', () => {
    const r = spawnSync('make', ['-C', path.join(repoRoot, 'boards/stm32f405/jerryscript'), 'JERRY=../jerryscript', 'JERRY_LIB=/abs/lib', 'BLOBS=/abs/out'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/JERRY=\.\.\/jerryscript must be an absolute path/);
  });
});

describe('tbn firmware --run reuses a build only when it is up to date', () => {
  it('same commit, board and options, and newer than our sources: reused; older, or another board: rebuilt', () => {
    const dir = fakeCheckout('espruino-prev', PINNED.espruino.markers);
    const outDir = path.join(tmp, 'prev-out');
    mkdirSync(outDir, { recursive: true });
    const image = path.join(outDir, 'espruino');
    writeFileSync(image, 'x');
    const size = { name: 'LINUX_TBN', imageBytes: 1, flashBytes: null, flashWhat: 'Linux executable', line: 'LINUX_TBN: 1 B' };
    writeFileSync(path.join(outDir, 'firmware.json'), JSON.stringify({ engine: 'espruino', board: 'linux', commit: headOf(dir), image: 'espruino', snapshot: false, model: null, bundle: null, size }));
    const o = { engine: 'espruino' as const, engineDir: dir, board: 'linux', outDir, allowOtherVersion: true };
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(image, future, future);
    expect(previousBuild(o)?.image).toBe(image);
    expect(previousBuild({ ...o, snapshot: true })).toBeNull();
    utimesSync(image, new Date(0), new Date(0)); // older than native-modules/: stale
    expect(previousBuild(o)).toBeNull();
    utimesSync(image, future, future);
    expect(previousBuild({ ...o, board: 'PICO_R1_3_TBN' })).toBeNull();
  });
});

describe('a failing build step shows its own output', () => {
  it('names the step, the exit code and the command, and quotes the last lines the tool printed', async () => {
    const { runStep } = await import('../../host/firmware/process.ts');
    const script = 'for i in $(seq 1 60); do echo line $i; done; echo "main.c:3: error: expected ; before }" >&2; exit 3';
    const err = await runStep('compiling main.c', 'sh', ['-c', script], { cwd: tmp, timeoutMs: 20_000 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^compiling main\.c failed with exit code 3:\n  cd .* && sh -c /);
    expect(err?.message).toContain('main.c:3: error: expected ; before }');
    expect(err?.message).toContain('line 60');
    expect(err?.message).not.toContain('line 10\n'); // only the last 40 lines
    const slow = await runStep('a stuck step', 'sleep', ['30'], { cwd: tmp, timeoutMs: 300 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(slow?.message).toMatch(/a stuck step did not finish within 0.3 s/);
  });
});

describe('the firmware build writes its tbn build into its own folder', () => {
  it('beside the engine objects it built there (JerryScript STM32: jerry-stm32/, jerry-snapshot-m4/)', () => {
    // Regression: tbn build's "not empty and holds no tbn build" guard refused the firmware's own folder.
    const out = path.join(tmp, 'jerry-fw');
    mkdirSync(path.join(out, 'jerry-stm32', 'lib'), { recursive: true });
    mkdirSync(path.join(out, 'jerry-snapshot-m4'), { recursive: true });
    const model = path.join(tmp, 'fw-model.tbn');
    writeFileSync(model, randomPackedModel(3));
    const manifest = writeBuildArtifacts('stm32f405', 'jerryscript', model, path.join(repoRoot, 'build', 'device', 'app.js'), out);
    expect(manifest.engine).toBe('jerryscript');
    expect(existsSync(path.join(out, 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(out, 'tbn_blobs.c'))).toBe(true);
  });
});
