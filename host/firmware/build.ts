/**
 * `tbn firmware`: builds Espruino or JerryScript with our module from an
 * engine checkout the user already has, with our board files, into an output
 * directory outside the repository's root (the checkout gets only our board
 * file for Espruino; every object, generated file and image goes to outDir).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { loadBoard } from '../boards.ts';
import { type BuildManifest, checkBuildFit, type Engine, fitError, writeArtifacts } from '../build/artifacts.ts';
import { buildDeviceBundle, DEFAULT_BUNDLE, readBundle } from '../build/bundle.ts';
import { TbnError } from '../errors.ts';
import { readModelFile } from '../format/reader.ts';
import { loadPackedFile } from '../format/source.ts';
import { writeFileAtomic } from '../io/files.ts';
import { type CheckoutInfo, checkEngineCheckout, type EngineName, PINNED } from './engines.ts';
import { commandLine, runStep } from './process.ts';
import { type FirmwareTarget, REPO_ROOT, resolveTarget } from './targets.ts';
import { espIdfProblem, requireTools, type Tool, TOOLS, which } from './toolchain.ts';

export interface FirmwareOptions {
  engine: EngineName;
  engineDir: string;
  board: string;
  outDir: string;
  /** A .tbn model: JerryScript bare metal links it in; otherwise `tbn build` artifacts go beside the image. */
  modelFile?: string;
  /** The app bundle (default: the device build, build/device/app.js). */
  bundleFile?: string;
  /** JerryScript bare metal: link a snapshot of the app (made with a matching host jerry-snapshot). */
  snapshot?: boolean;
  /** Parallel jobs for make / build.py (the machine may be shared). */
  jobs?: number;
  timeoutMs?: number;
  allowOtherVersion?: boolean;
  /** JerryScript STM32F405: extra C flags for our main (e.g. -DTBN_QEMU_TEST). */
  extraCflags?: string;
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
}

export interface SizeReport {
  /** e.g. "STM32F4DISCOVERY_TBN". */
  name: string;
  imageBytes: number;
  /** Flash the image may use, or null (Linux executable). */
  flashBytes: number | null;
  flashWhat: string;
  /** RAM of .data + .bss and the RAM it must fit (bare metal JerryScript). */
  ramBytes?: number;
  ramLimit?: number;
  line: string;
}

export interface FirmwareResult {
  target: FirmwareTarget;
  checkout: CheckoutInfo;
  outDir: string;
  /** The image to flash (.bin) or the executable (Linux). */
  image: string;
  /** The ELF (bare metal). */
  elf?: string;
  size: SizeReport;
  /** JerryScript: the jerry-snapshot tool that matches this engine build. */
  snapshotTool?: string;
  /** JerryScript STM32F405: the engine libraries (for relinking test firmware). */
  jerryLib?: string;
  /** `tbn build` artifacts in outDir, when a model was given. */
  manifest?: BuildManifest;
  logFile: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;

class StepLog {
  private text = '';
  constructor(readonly file: string) {}
  add(s: string) {
    this.text += s.endsWith('\n') ? s : `${s}\n`;
  }
  save() {
    writeFileAtomic(this.file, this.text);
  }
}

interface Ctx {
  o: FirmwareOptions;
  outDir: string;
  env: NodeJS.ProcessEnv;
  jobs: number;
  timeoutMs: number;
  log: StepLog;
}

async function step(ctx: Ctx, what: string, cmd: string, args: string[], cwd: string): Promise<string> {
  ctx.o.onProgress?.(`${what}: ${commandLine(cmd, args, cwd)}`);
  ctx.log.add(`\n=== ${what}\n$ ${commandLine(cmd, args, cwd)}`);
  try {
    const r = await runStep(what, cmd, args, { cwd, env: ctx.env, timeoutMs: ctx.timeoutMs });
    ctx.log.add(r.output);
    ctx.log.add(`=== ${what}: ok in ${(r.ms / 1000).toFixed(1)} s`);
    return r.output;
  } catch (e) {
    ctx.log.add((e as { output?: string }).output ?? (e as Error).message);
    ctx.log.save();
    if (e instanceof TbnError) throw new TbnError(e.code, `${e.message}\n(full log: ${ctx.log.file})`);
    throw e;
  }
}

function toolsFor(target: FirmwareTarget): Tool[] {
  const base = [TOOLS.make, TOOLS.python3, TOOLS.git];
  if (target.engine === 'espruino') {
    if (target.family === 'linux') return [TOOLS.gcc, TOOLS.gxx, ...base];
    if (target.family === 'arm') return [TOOLS.gcc, ...base, TOOLS.armGcc, TOOLS.armObjcopy];
    return base;
  }
  if (target.family === 'linux') return [TOOLS.gcc, ...base, TOOLS.cmake];
  if (target.family === 'arm') return [TOOLS.gcc, ...base, TOOLS.cmake, TOOLS.armGcc, TOOLS.armObjcopy];
  return [...base, TOOLS.cmake];
}

/** Espruino's makefiles call `python` in places even with PYTHON=python3: give them one if the system has none. */
function pythonShimEnv(env: NodeJS.ProcessEnv, outDir: string): NodeJS.ProcessEnv {
  if (which('python', env)) return env;
  const python3 = which('python3', env);
  if (!python3) return env;
  const dir = path.join(outDir, '.python-shim');
  mkdirSync(dir, { recursive: true });
  const link = path.join(dir, 'python');
  if (!existsSync(link)) symlinkSync(python3, link);
  return { ...env, PATH: `${dir}${path.delimiter}${env.PATH ?? ''}` };
}

/** `tbn build` artifacts (app.js, model.tbn, manifest.json; JerryScript: tbn_blobs.c) into outDir. */
export function writeBuildArtifacts(board: string, engine: Engine, modelFile: string, bundleFile: string | undefined, outDir: string, snapshot?: Uint8Array): BuildManifest {
  const def = loadBoard(board);
  const bytes = readModelFile(modelFile);
  const model = loadPackedFile(modelFile, bytes);
  const bf = bundleFile ?? buildDeviceBundle();
  const bundle = readBundle(bf);
  const fit = checkBuildFit({ board: def, model, modelBytes: bytes, bundle, modelFile });
  if (!fit.fits) throw fitError(def.name, modelFile, fit);
  // force: the folder is the firmware build's own (assertOutDir), already holding its objects (jerry-stm32/, ...).
  return writeArtifacts({ board: def, engine, model, modelBytes: bytes, modelFile, bundle, bundleFile: bf, snapshot, outDir, force: true }, fit);
}

function fileSize(file: string): number {
  return statSync(file).size;
}

// ---------------------------------------------------------------- Espruino

async function buildEspruino(ctx: Ctx, target: FirmwareTarget, checkout: CheckoutInfo): Promise<Omit<FirmwareResult, 'target' | 'checkout' | 'outDir' | 'logFile'>> {
  const name = target.espruinoBoard as string;
  const boardFile = target.boardFile as string;
  // Our board file goes beside the upstream one it imports (the only file we add to the checkout).
  writeFileAtomic(path.join(checkout.dir, 'boards', `${name}.py`), readFileSync(boardFile));
  const work = path.join(ctx.outDir, 'espruino-build');
  const gen = path.join(work, 'gen');
  const obj = path.join(work, 'obj');
  mkdirSync(gen, { recursive: true });
  mkdirSync(obj, { recursive: true });
  const env = pythonShimEnv(ctx.env, ctx.outDir);
  const args = [`-j${ctx.jobs}`, `BOARD=${name}`, `TBN_ROOT=${REPO_ROOT}`, 'RELEASE=1', 'PYTHON=python3', `GENDIR=${gen}`, `OBJDIR=${obj}`, `BINDIR=${ctx.outDir}`];
  const started = Date.now() - 1000;
  await step({ ...ctx, env }, `Espruino ${name}`, 'make', args, checkout.dir);
  // The image: the newest file the build wrote into BINDIR (Linux: the executable; boards: the .bin).
  const fresh = readdirSync(ctx.outDir)
    .map((f) => path.join(ctx.outDir, f))
    .filter((f) => statSync(f).isFile() && statSync(f).mtimeMs >= started);
  const image = target.family === 'linux' ? fresh.find((f) => path.basename(f).startsWith('espruino') && !path.extname(f)) : fresh.find((f) => f.endsWith('.bin') && !path.basename(f).startsWith('bootloader_'));
  if (!image) throw new TbnError('E_BUILD', `Espruino ${name}: make succeeded but wrote no ${target.family === 'linux' ? 'executable' : '.bin image'} into ${ctx.outDir} (full log: ${ctx.log.file})`);
  const imageBytes = fileSize(image);
  let size: SizeReport;
  if (target.family === 'linux') {
    size = { name, imageBytes, flashBytes: null, flashWhat: 'Linux executable', line: `${name} (Espruino ${checkout.commit.slice(0, 8)}): ${path.basename(image)} ${fmt(imageBytes)} B (Linux executable, no flash limit)` };
  } else {
    const config = readFileSync(path.join(gen, 'platform_config.h'), 'utf8');
    const m = /FLASH_AVAILABLE_FOR_CODE\s+(\d+)/.exec(config);
    const limit = m ? Number(m[1]) : null;
    size = {
      name,
      imageBytes,
      flashBytes: limit,
      flashWhat: 'flash available for code (FLASH_AVAILABLE_FOR_CODE)',
      line:
        limit !== null
          ? `${name} (Espruino ${checkout.commit.slice(0, 8)}): image ${fmt(imageBytes)} B of ${fmt(limit)} B flash available for code (${pct(imageBytes, limit)}), ${fmt(limit - imageBytes)} B free`
          : `${name} (Espruino ${checkout.commit.slice(0, 8)}): image ${fmt(imageBytes)} B`,
    };
    if (limit !== null && imageBytes > limit) throw new TbnError('E_FIT', `${size.line}: the image does not fit`);
  }
  const elf = image.endsWith('.bin') ? image.replace(/\.bin$/, '.elf') : undefined;
  let manifest: BuildManifest | undefined;
  if (ctx.o.modelFile && target.family !== 'linux') manifest = writeBuildArtifacts(target.board, 'espruino', ctx.o.modelFile, ctx.o.bundleFile, ctx.outDir);
  return { image, elf: elf && existsSync(elf) ? elf : undefined, size, manifest };
}

// ---------------------------------------------------------------- JerryScript

const JERRY_COMMON = ['--lto=OFF', '--mem-stats=ON', '--snapshot-exec=ON', '--snapshot-save=ON', '--error-messages=ON'];

/** tools/build.py into builddir, skipped when the same options already built there from the same commit. */
async function jerryLibs(ctx: Ctx, checkout: CheckoutInfo, what: string, builddir: string, options: string[], wants: string[]): Promise<void> {
  const args = ['tools/build.py', `--builddir=${builddir}`, `--jobs=${ctx.jobs}`, ...options];
  const stampFile = path.join(builddir, 'tbn-firmware.json');
  const stamp = JSON.stringify({ commit: checkout.commit, args });
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && wants.every((w) => existsSync(path.join(builddir, w)))) {
    ctx.log.add(`=== ${what}: up to date in ${builddir}`);
    return;
  }
  await step(ctx, what, 'python3', args, checkout.dir);
  const missing = wants.filter((w) => !existsSync(path.join(builddir, w)));
  if (missing.length) throw new TbnError('E_BUILD', `${what}: tools/build.py succeeded but ${missing.join(', ')} is missing in ${builddir} (full log: ${ctx.log.file})`);
  writeFileAtomic(stampFile, stamp);
}

function coreSources(): string[] {
  const core = path.join(REPO_ROOT, 'native-modules', 'core');
  return readdirSync(core)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => path.join(core, f));
}

async function buildJerryLinux(ctx: Ctx, checkout: CheckoutInfo): Promise<Omit<FirmwareResult, 'target' | 'checkout' | 'outDir' | 'logFile'>> {
  const lib = path.join(ctx.outDir, 'jerry-host');
  await jerryLibs(ctx, checkout, 'JerryScript v3.0 for Linux', lib, [...JERRY_COMMON, '--jerry-cmdline-snapshot=ON', '--cmake-param=-DPYTHON=python3'], ['lib/libjerry-core.a', 'lib/libjerry-port.a', 'bin/jerry-snapshot']);
  const nm = path.join(REPO_ROOT, 'native-modules');
  const image = path.join(ctx.outDir, 'tbn-jerry');
  const args = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-ffp-contract=off', `-I${nm}`, `-I${path.join(nm, 'jerryscript')}`, `-I${path.join(checkout.dir, 'jerry-core', 'include')}`];
  args.push(...['host_main.c', 'tbn_runtime.c', 'tbn_jerry.c'].map((f) => path.join(nm, 'jerryscript', f)), ...coreSources());
  args.push(path.join(lib, 'lib', 'libjerry-core.a'), path.join(lib, 'lib', 'libjerry-port.a'), '-lm', '-o', image);
  await step(ctx, 'tbn-jerry (our host main)', 'cc', args, ctx.outDir);
  const imageBytes = fileSize(image);
  const size: SizeReport = { name: 'tbn-jerry', imageBytes, flashBytes: null, flashWhat: 'Linux executable', line: `tbn-jerry (JerryScript ${PINNED.jerryscript.ref}, Linux host main): ${fmt(imageBytes)} B (Linux executable, no flash limit)` };
  return { image, size, snapshotTool: path.join(lib, 'bin', 'jerry-snapshot') };
}

/** arm-none-eabi-size: text, data, bss of an ELF. */
export function elfSections(elf: string): { text: number; data: number; bss: number } {
  const r = spawnSync('arm-none-eabi-size', ['-B', elf], { encoding: 'utf8', timeout: 20_000 });
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)/m.exec(`${r.stdout ?? ''}`.split('\n').slice(1).join('\n'));
  if (r.status !== 0 || !m) throw new TbnError('E_BUILD', `arm-none-eabi-size ${elf} failed: ${`${r.stderr ?? ''}`.trim()}`);
  return { text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]) };
}

const STM32_BOARD_DIR = path.join(REPO_ROOT, 'boards', 'stm32f405', 'jerryscript');

/** Links our STM32F405 main with the engine libraries and the `tbn build` blobs in blobsDir. */
export async function linkJerryStm32(o: { jerryDir: string; jerryLib: string; blobsDir: string; extraCflags?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<{ elf: string; bin: string; output: string }> {
  const args = ['-C', STM32_BOARD_DIR, `JERRY=${path.resolve(o.jerryDir)}`, `JERRY_LIB=${path.resolve(o.jerryLib)}`, `BLOBS=${path.resolve(o.blobsDir)}`];
  if (o.extraCflags) args.push(`EXTRA_CFLAGS=${o.extraCflags}`);
  const r = await runStep('linking the STM32F405 firmware', 'make', args, { cwd: REPO_ROOT, env: o.env, timeoutMs: o.timeoutMs ?? 600_000 });
  return { elf: path.join(path.resolve(o.blobsDir), 'firmware.elf'), bin: path.join(path.resolve(o.blobsDir), 'firmware.bin'), output: r.output };
}

/** Makes app.snapshot from outDir/app.snapshot.js with the matching host jerry-snapshot. */
export async function generateSnapshot(tool: string, source: string, out: string, timeoutMs = 120_000): Promise<Uint8Array> {
  await runStep('jerry-snapshot generate', tool, ['generate', '-o', out, source], { cwd: path.dirname(out), timeoutMs });
  return new Uint8Array(readFileSync(out));
}

function stm32RamLimit(): number {
  const ld = readFileSync(path.join(STM32_BOARD_DIR, 'stm32f405_jerry.ld'), 'utf8');
  const m = /RAM\s*\([^)]*\)\s*:\s*ORIGIN\s*=\s*\w+\s*,\s*LENGTH\s*=\s*(\d+)K/.exec(ld);
  return m ? Number(m[1]) * 1024 : 128 * 1024;
}

async function buildJerryStm32(ctx: Ctx, checkout: CheckoutInfo): Promise<Omit<FirmwareResult, 'target' | 'checkout' | 'outDir' | 'logFile'>> {
  if (!ctx.o.modelFile) throw new TbnError('E_ARG', '--model is required for JerryScript on the stm32f405: the model and the app are linked into the firmware (tbn_blobs.c)');
  const lib = path.join(ctx.outDir, 'jerry-stm32');
  const heap = ['--mem-heap=64'];
  await jerryLibs(
    ctx,
    checkout,
    'JerryScript v3.0 for Cortex-M4',
    lib,
    [`--toolchain=${path.join(checkout.dir, 'cmake', 'toolchain_mcu_stm32f4.cmake')}`, '--jerry-cmdline=OFF', '--jerry-port=OFF', '--jerry-ext=OFF', '--jerry-math=ON', ...heap, ...JERRY_COMMON],
    ['lib/libjerry-core.a', 'lib/libjerry-math.a'],
  );
  // The host snapshot tool of the same version, heap and profile (a snapshot must match the engine that runs it).
  const toolDir = path.join(ctx.outDir, 'jerry-snapshot-m4');
  await jerryLibs(ctx, checkout, 'jerry-snapshot for the Cortex-M4 build', toolDir, ['--jerry-cmdline=OFF', '--jerry-cmdline-snapshot=ON', ...heap, ...JERRY_COMMON, '--cmake-param=-DPYTHON=python3'], ['bin/jerry-snapshot']);
  const snapshotTool = path.join(toolDir, 'bin', 'jerry-snapshot');
  let manifest = writeBuildArtifacts('stm32f405', 'jerryscript', ctx.o.modelFile, ctx.o.bundleFile, ctx.outDir);
  if (ctx.o.snapshot) {
    ctx.o.onProgress?.('jerry-snapshot generate app.snapshot');
    const snap = await generateSnapshot(snapshotTool, path.join(ctx.outDir, 'app.snapshot.js'), path.join(ctx.outDir, 'app.snapshot'));
    manifest = writeBuildArtifacts('stm32f405', 'jerryscript', ctx.o.modelFile, ctx.o.bundleFile ?? DEFAULT_BUNDLE, ctx.outDir, snap);
  }
  ctx.o.onProgress?.(`linking: make -C ${STM32_BOARD_DIR} BLOBS=${ctx.outDir}`);
  ctx.log.add(`\n=== linking the STM32F405 firmware`);
  let linked;
  try {
    linked = await linkJerryStm32({ jerryDir: checkout.dir, jerryLib: path.join(lib, 'lib'), blobsDir: ctx.outDir, extraCflags: ctx.o.extraCflags, timeoutMs: ctx.timeoutMs, env: ctx.env });
  } catch (e) {
    ctx.log.add((e as { output?: string }).output ?? (e as Error).message);
    ctx.log.save();
    throw e;
  }
  ctx.log.add(linked.output);
  const s = elfSections(linked.elf);
  const flash = loadBoard('stm32f405').flashBytes;
  const ramLimit = stm32RamLimit();
  const flashUse = s.text + s.data;
  const ram = s.data + s.bss;
  const size: SizeReport = {
    name: 'STM32F405 JerryScript',
    imageBytes: fileSize(linked.bin),
    flashBytes: flash,
    flashWhat: 'STM32F405 flash',
    ramBytes: ram,
    ramLimit,
    line: `stm32f405 (JerryScript ${PINNED.jerryscript.ref}, bare metal${ctx.o.snapshot ? ', snapshot' : ''}): image ${fmt(flashUse)} B of ${fmt(flash)} B flash (${pct(flashUse, flash)}); RAM .data+.bss ${fmt(ram)} B of ${fmt(ramLimit)} B (${pct(ram, ramLimit)}; 64 KB JerryScript heap)`,
  };
  return { image: linked.bin, elf: linked.elf, size, snapshotTool, jerryLib: path.join(lib, 'lib'), manifest };
}

// ---------------------------------------------------------------- entry point

function assertOutDir(outDir: string): void {
  const abs = path.resolve(outDir);
  if (abs === REPO_ROOT || abs === path.resolve(process.cwd()) || abs === '/') {
    throw new TbnError('E_ARG', `-o ${outDir}: choose a directory of its own (the build writes objects and images there), e.g. out/firmware/<board>-<engine>`);
  }
}

export function defaultOutDir(engine: EngineName, board: string): string {
  return path.join('out', 'firmware', `${board}-${engine}`);
}

/** Newest modification time of the files a firmware is built from (ours, not the engine's). */
function newestInput(target: FirmwareTarget, o: FirmwareOptions): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const f of readdirSync(p)) visit(path.join(p, f));
    else newest = Math.max(newest, st.mtimeMs);
  };
  visit(path.join(REPO_ROOT, 'native-modules'));
  if (target.boardFile) visit(target.boardFile);
  if (target.engine === 'jerryscript' && target.family === 'arm') visit(STM32_BOARD_DIR);
  if (target.engine === 'jerryscript' && target.family === 'arm') for (const f of [o.modelFile, o.bundleFile ?? DEFAULT_BUNDLE]) visit(path.resolve(f as string));
  return newest;
}

/**
 * The result of an earlier build in outDir when it is of the same engine commit, board, model
 * and options and newer than every input of ours (`--run` then starts it without rebuilding).
 */
export function previousBuild(o: FirmwareOptions): FirmwareResult | null {
  const outDir = path.resolve(o.outDir);
  const file = path.join(outDir, 'firmware.json');
  if (!existsSync(file)) return null;
  let j: { engine?: string; board?: string; commit?: string; image?: string; elf?: string; snapshot?: boolean; model?: string | null; bundle?: string | null; size?: SizeReport; snapshotTool?: string; jerryLib?: string };
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const target = resolveTarget(o.engine, o.board);
  const checkout = checkEngineCheckout(o.engine, o.engineDir, o.allowOtherVersion);
  // the model and app are part of the image only where they are linked in (JerryScript bare metal)
  const linked = target.engine === 'jerryscript' && target.family === 'arm';
  const same =
    j.engine === o.engine &&
    j.board === target.board &&
    j.commit === checkout.commit &&
    j.snapshot === Boolean(o.snapshot) &&
    (!linked || ((j.model ?? null) === (o.modelFile ? path.resolve(o.modelFile) : null) && (j.bundle ?? null) === (o.bundleFile ? path.resolve(o.bundleFile) : null)));
  if (!same || !j.image || !j.size) return null;
  const image = path.join(outDir, j.image);
  if (!existsSync(image) || statSync(image).mtimeMs < newestInput(target, o)) return null;
  return { target, checkout, outDir, image, elf: j.elf ? path.join(outDir, j.elf) : undefined, size: j.size, snapshotTool: j.snapshotTool, jerryLib: j.jerryLib, logFile: path.join(outDir, 'firmware-build.log') };
}

export async function buildFirmware(o: FirmwareOptions): Promise<FirmwareResult> {
  const target = resolveTarget(o.engine, o.board);
  const outDir = path.resolve(o.outDir);
  assertOutDir(outDir);
  const checkout = checkEngineCheckout(o.engine, o.engineDir, o.allowOtherVersion);
  const env = o.env ?? process.env;
  if (o.modelFile) loadPackedFile(o.modelFile); // a bad model fails now, not after a long build
  if (o.bundleFile) readBundle(o.bundleFile);
  if (target.family === 'esp32') {
    const idf = espIdfProblem(env);
    if (idf) throw new TbnError('E_TOOLCHAIN', idf);
    throw new TbnError(
      'E_TOOLCHAIN',
      `ESP-IDF is present, but tbn firmware does not drive ESP32 builds yet; build by hand (docs/engines.md): ${
        o.engine === 'espruino' ? `make BOARD=${target.espruinoBoard} TBN_ROOT=${REPO_ROOT} RELEASE=1 in ${checkout.dir}` : `idf.py -C ${path.join(REPO_ROOT, 'boards/esp32/jerryscript')} build`
      }`,
    );
  }
  requireTools(toolsFor(target), env);
  mkdirSync(outDir, { recursive: true });
  const log = new StepLog(path.join(outDir, 'firmware-build.log'));
  log.add(`tbn firmware --engine ${o.engine} --board ${o.board}: ${PINNED[o.engine].title} ${checkout.dir} at ${checkout.commit}`);
  const ctx: Ctx = { o, outDir, env, jobs: Math.max(1, o.jobs ?? 2), timeoutMs: o.timeoutMs ?? 60 * 60_000, log };
  let built: Omit<FirmwareResult, 'target' | 'checkout' | 'outDir' | 'logFile'>;
  if (o.engine === 'espruino') built = await buildEspruino(ctx, target, checkout);
  else if (target.family === 'linux') built = await buildJerryLinux(ctx, checkout);
  else built = await buildJerryStm32(ctx, checkout);
  log.add(built.size.line);
  log.save();
  const result: FirmwareResult = { target, checkout, outDir, logFile: log.file, ...built };
  writeFileAtomic(
    path.join(outDir, 'firmware.json'),
    `${JSON.stringify(
      {
        tool: 'tbn firmware',
        engine: o.engine,
        board: target.board,
        espruinoBoard: target.espruinoBoard,
        commit: checkout.commit,
        image: path.relative(outDir, result.image),
        elf: result.elf && path.relative(outDir, result.elf),
        snapshot: Boolean(o.snapshot),
        model: o.modelFile ? path.resolve(o.modelFile) : null,
        bundle: o.bundleFile ? path.resolve(o.bundleFile) : null,
        size: built.size,
        snapshotTool: built.snapshotTool,
        jerryLib: built.jerryLib,
      },
      null,
      2,
    )}\n`,
  );
  return result;
}
