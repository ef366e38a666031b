/**
 * Runs packed models on the emulated boards: builds a job blob, links the
 * bare-metal harness around it (boards/build.sh link), runs QEMU, parses the
 * logits and, optionally, exact instruction counts from our TCG plugin.
 * Shared by test/boards/*.test.ts and bench/boards.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PackedModel } from '../../host/format/model.ts';
import { randomInput } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import { runReference } from '../../host/reference/infer.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where boards/build.sh put its outputs (TBN_BOARDS_OUT overrides, e.g. to measure a kernel variant). */
export const BOARDS_BUILD = process.env.TBN_BOARDS_OUT ?? path.join(REPO_ROOT, 'build', 'boards');
export const PLUGIN = path.join(BOARDS_BUILD, 'libtbn_count.so');

export type EmulatedBoard = 'stm32f405' | 'esp32c3' | 'esp8266';
export const EMULATED_BOARDS: EmulatedBoard[] = ['stm32f405', 'esp32c3', 'esp8266'];
/** Os-small: the size-first kernel (-DTBN_SMALL) at -Os. */
export type Opt = 'O2' | 'Os' | 'Os-small';

export const TOOLS: Record<EmulatedBoard, { prefix: string; qemu: string; packages: string }> = {
  stm32f405: { prefix: 'arm-none-eabi-', qemu: 'qemu-system-arm', packages: 'gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm' },
  esp32c3: { prefix: 'riscv64-unknown-elf-', qemu: 'qemu-system-riscv32', packages: 'gcc-riscv64-unknown-elf qemu-system-misc' },
  esp8266: { prefix: 'xtensa-lx106-elf-', qemu: 'qemu-system-xtensa', packages: 'gcc-xtensa-lx106 qemu-system-misc' },
};

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Throws, naming what to install or build, if a board cannot run here. Never skips. */
export function requireBoard(board: EmulatedBoard): void {
  const t = TOOLS[board];
  const missing = [`${t.prefix}gcc`, t.qemu].filter((c) => !hasCommand(c));
  if (missing.length) {
    throw new Error(
      `${board}: ${missing.join(', ')} not installed; run scripts/setup-toolchains.sh as root on Debian, ` +
        `or: apt-get install --no-install-recommends ${t.packages}`,
    );
  }
  for (const opt of ['O2', 'Os', 'Os-small'] as Opt[]) {
    if (!existsSync(path.join(BOARDS_BUILD, board, opt, 'kernel'))) {
      throw new Error(`${board}: harness objects missing in build/boards/${board}/${opt}; run: bash boards/build.sh`);
    }
  }
  if (!existsSync(PLUGIN)) throw new Error('build/boards/libtbn_count.so missing; run: bash boards/build.sh');
  const stale = staleSources();
  if (stale.length) throw new Error(`build/boards is older than ${stale.slice(0, 3).join(', ')}; run: bash boards/build.sh`);
}

/** Sources changed since the last `bash boards/build.sh` (its stamp file). */
function staleSources(): string[] {
  const stamp = path.join(BOARDS_BUILD, '.stamp');
  if (!existsSync(stamp)) return ['(no build stamp)'];
  const built = statSync(stamp).mtimeMs;
  const dirs = ['native-modules', 'native-modules/core', 'boards/harness', 'boards/harness/include', 'boards/bench', 'boards/plugin', 'boards/stm32f405', 'boards/esp32c3', 'boards/esp8266'];
  const stale: string[] = [];
  for (const d of dirs) {
    const abs = path.join(REPO_ROOT, d);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs)) {
      if (!/\.(c|h|S|ld)$/.test(f)) continue;
      if (statSync(path.join(abs, f)).mtimeMs > built) stale.push(path.join(d, f));
    }
  }
  if (statSync(path.join(REPO_ROOT, 'boards', 'build.sh')).mtimeMs > built) stale.push('boards/build.sh');
  return stale;
}

export interface Job {
  model: Uint8Array;
  /** Windows back to back: windowCount * inputLen values. */
  inputs: Float32Array | Int8Array | Int16Array;
  /** Int16Array inputs: the tbn_input_i16 parameters, passed as given. */
  params?: Int32Array;
  inputLen: number;
  /** Honour TBN_LF_REUSE (default true). */
  reuse?: boolean;
  /** Which kernel runs the job: the TBN kernel (default) or a baseline of boards/bench/ (then `model` holds its weights). */
  kernel?: 'tbn' | 'int8' | 'f32' | 'cmsis';
}

const KERNEL_CODES = { tbn: 0, int8: 1, f32: 2, cmsis: 3 } as const;

const BLOB_MAGIC = 0x4a4e4254;
const JOB_WORDS = 8;
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The harness's job blob (layout in boards/harness/harness.c). */
export function buildBlob(jobs: Job[]): Uint8Array {
  let off = 8 + jobs.length * JOB_WORDS * 4;
  const places = jobs.map((j) => {
    if (j.inputLen <= 0 || j.inputs.length % j.inputLen !== 0) throw new Error('inputs must be whole windows');
    off = align(off, 4);
    const model = off;
    off += j.model.length;
    off = align(off, 4);
    const input = off;
    off += j.inputs.byteLength;
    off = align(off, 4);
    const params = j.inputs instanceof Int16Array ? off : 0;
    if (params) off += 4 + (j.params?.byteLength ?? 0);
    return { model, input, params };
  });
  const blob = new Uint8Array(align(off, 4));
  const dv = new DataView(blob.buffer);
  dv.setUint32(0, BLOB_MAGIC, true);
  dv.setUint32(4, jobs.length, true);
  jobs.forEach((j, i) => {
    const p = places[i]!;
    const rec = 8 + i * JOB_WORDS * 4;
    const type = j.inputs instanceof Float32Array ? 0 : j.inputs instanceof Int16Array ? 2 : 1;
    const flags = (j.reuse === false ? 0 : 1) | (KERNEL_CODES[j.kernel ?? 'tbn'] << 1);
    const words = [p.model, j.model.length, p.input, j.inputs.length / j.inputLen, type, j.inputLen, flags, p.params];
    words.forEach((w, k) => dv.setUint32(rec + 4 * k, w, true));
    blob.set(j.model, p.model);
    blob.set(new Uint8Array(j.inputs.buffer, j.inputs.byteOffset, j.inputs.byteLength), p.input);
    if (p.params) {
      const params = j.params ?? new Int32Array(0);
      dv.setUint32(p.params, params.length, true);
      blob.set(new Uint8Array(params.buffer, params.byteOffset, params.byteLength), p.params + 4);
    }
  });
  return blob;
}

export interface WindowResult {
  status: number;
  cls: number;
  logits: number[];
}

export interface JobResult {
  /** Status of tbn_model_open when it failed, else 0. */
  openStatus: number;
  badLayer: number;
  windows: WindowResult[];
}

export interface InferenceCount {
  /** Instructions of one tbn_run_ex call, marker cost subtracted. */
  total: number;
  /** Instructions per layer (between the kernel's layer hooks), marker cost subtracted. */
  layers: number[];
}

export interface RunOutput {
  jobs: JobResult[];
  /** Per job, per window (only with count: true). */
  counts?: InferenceCount[][];
  totalInstructions?: number;
  /** With `functions`: instructions executed inside each function over the whole run. */
  functionInstructions?: Record<string, number>;
  /** With `functions` and `profile`: executions per instruction address inside those functions. */
  profile?: Map<number, number>;
  elfPath: string;
}

/** One window's expected outcome: the reference's result (status 0), or a status the kernel must report instead. */
export type ExpectedWindow = { cls: number; logits: number[] } | { status: number };

/** Jobs for runJobs with the expected outcome of every window, and a name per job for messages. */
export interface ExpectedJobs<W extends ExpectedWindow = ExpectedWindow> {
  jobs: Job[];
  expected: W[][];
  names: string[];
}

/** `count` random int8 windows of a packed model (input seeds seed * 16 + w), back to back, and the reference's result of each. */
export function referenceWindows(bytes: Uint8Array, seed: number, count: number): { model: PackedModel; inputs: Int8Array; inputLen: number; expected: { cls: number; logits: number[] }[] } {
  const model = readModel(bytes);
  const inputLen = model.inShape[0] * model.inShape[1] * model.inShape[2];
  const inputs = new Int8Array(inputLen * count);
  const expected: { cls: number; logits: number[] }[] = [];
  for (let w = 0; w < count; w++) {
    const x = randomInput(seed * 16 + w, model, 'i8') as Int8Array;
    inputs.set(x, w * inputLen);
    const ref = runReference(model, x);
    expected.push({ cls: ref.cls, logits: Array.from(ref.logits) });
  }
  return { model, inputs, inputLen, expected };
}

/**
 * One line per job that failed to open, per job that ran a different number of windows than expected, and per
 * window whose status, class or logits differ from the expected outcome.
 */
export function jobMismatches(out: RunOutput, cases: ExpectedJobs): string[] {
  const bad: string[] = [];
  if (out.jobs.length !== cases.jobs.length) bad.push(`${out.jobs.length} jobs ran, expected ${cases.jobs.length}`);
  out.jobs.forEach((job, i) => {
    const name = cases.names[i]!;
    const expected = cases.expected[i]!;
    if (job.openStatus !== 0) {
      bad.push(`${name}: tbn_model_open status ${job.openStatus}`);
      return;
    }
    if (job.windows.length !== expected.length) bad.push(`${name}: ${job.windows.length} windows ran, expected ${expected.length}`);
    job.windows.forEach((w, k) => {
      const e = expected[k];
      if (!e) return;
      if ('status' in e) {
        if (w.status !== e.status) bad.push(`${name} window ${k}: status ${w.status}, expected ${e.status}`);
      } else if (w.status !== 0) bad.push(`${name} window ${k}: status ${w.status}`);
      else if (w.cls !== e.cls || w.logits.join(',') !== e.logits.join(',')) bad.push(`${name} window ${k}: got ${w.cls} [${w.logits}] expected ${e.cls} [${e.logits}]`);
    });
  });
  return bad;
}

/** Address and size of every function symbol of an ELF (nm -S), Thumb bit cleared. */
export function functionSymbols(board: EmulatedBoard, file: string): Map<string, { addr: number; size: number }> {
  const out = execFileSync(`${TOOLS[board].prefix}nm`, ['-S', file], { encoding: 'utf8' });
  const map = new Map<string, { addr: number; size: number }>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && /^[tT]$/.test(f[2]!)) map.set(f[3]!, { addr: (Number.parseInt(f[0]!, 16) & ~1) >>> 0, size: Number.parseInt(f[1]!, 16) });
  }
  return map;
}

let runSeq = 0;

export function qemuArgs(board: EmulatedBoard, elf: string): { cmd: string; args: string[] } {
  switch (board) {
    case 'stm32f405':
      return {
        cmd: 'qemu-system-arm',
        args: ['-M', 'netduinoplus2', '-display', 'none', '-chardev', 'stdio,id=c0', '-semihosting-config', 'enable=on,target=native,chardev=c0', '-kernel', elf],
      };
    case 'esp32c3':
      return { cmd: 'qemu-system-riscv32', args: ['-M', 'virt', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-bios', 'none', '-kernel', elf] };
    case 'esp8266':
      return { cmd: 'qemu-system-xtensa', args: ['-M', 'sim', '-cpu', 'lx106', '-display', 'none', '-monitor', 'none', '-semihosting', '-kernel', elf] };
  }
}

export function symbolAddress(board: EmulatedBoard, elf: string, name: string): number {
  const out = execFileSync(`${TOOLS[board].prefix}nm`, [elf], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const [addr, , sym] = line.trim().split(/\s+/);
    if (sym === name && addr) return (Number.parseInt(addr, 16) & ~1) >>> 0; // Thumb bit
  }
  throw new Error(`${elf}: symbol ${name} not found`);
}

/** Links and runs one blob on one board. Throws with QEMU's output on any harness failure. */
export function runJobs(
  board: EmulatedBoard,
  jobs: Job[],
  opts: {
    opt?: Opt; count?: boolean; functions?: string[]; profile?: boolean; extraObjects?: string[]; timeoutMs?: number; keep?: boolean;
    /** Another boards/build.sh output (TBN_BOARDS_OUT), e.g. a mutated kernel built by a test; not checked for staleness. */
    buildDir?: string;
  } = {},
): RunOutput {
  const buildDir = opts.buildDir ?? BOARDS_BUILD;
  if (opts.buildDir === undefined) requireBoard(board);
  const opt = opts.opt ?? 'O2';
  const dir = path.join(buildDir, 'runs', `${process.pid}-${runSeq++}-${board}`);
  mkdirSync(dir, { recursive: true });
  const blobPath = path.join(dir, 'jobs.blob');
  const elf = path.join(dir, 'harness.elf');
  writeFileSync(blobPath, buildBlob(jobs));
  execFileSync('bash', [path.join(REPO_ROOT, 'boards', 'build.sh'), 'link', board, opt, blobPath, elf, ...(opts.extraObjects ?? [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TBN_BOARDS_OUT: buildDir },
  });
  const { cmd, args } = qemuArgs(board, elf);
  const events = path.join(dir, 'events.txt');
  const markNames = ['tbn_mark_begin', 'tbn_mark_end', 'tbn_mark_layer'];
  if (opts.count) {
    const marks = markNames.map((n) => `mark=0x${symbolAddress(board, elf, n).toString(16)}`);
    const syms = opts.functions?.length ? functionSymbols(board, elf) : new Map();
    const ranges = (opts.functions ?? []).filter((f) => syms.has(f)).map((f) => {
      const s = syms.get(f)!;
      return `range=0x${s.addr.toString(16)}-0x${(s.addr + s.size).toString(16)}`;
    });
    args.unshift('-plugin', `${PLUGIN},${[...marks, ...ranges, ...(opts.profile ? ['profile=1'] : [])].join(',')},out=${events}`);
  }
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024 });
  const stdout = r.stdout ?? '';
  if (r.error || r.status !== 0 || !/^DONE \d+$/m.test(stdout)) {
    throw new Error(
      `${board}: harness run failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''})\n` +
        `stdout (end): ${stdout.slice(-2000)}\nstderr: ${(r.stderr ?? '').slice(-2000)}`,
    );
  }
  const parsed = parseOutput(stdout, jobs.length);
  const result: RunOutput = { jobs: parsed, elfPath: elf };
  if (opts.count) {
    const ev = parseEvents(readFileSync(events, 'utf8'));
    result.totalInstructions = ev.total;
    result.counts = splitCounts(ev.marks, parsed);
    if (opts.functions?.length) {
      const syms = functionSymbols(board, elf);
      const present = opts.functions.filter((f) => syms.has(f));
      result.functionInstructions = Object.fromEntries(present.map((f, i) => [f, ev.ranges.get(i) ?? 0]));
      if (opts.profile) result.profile = ev.profile;
    }
  }
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  return result;
}

function parseOutput(stdout: string, jobCount: number): JobResult[] {
  const jobs: JobResult[] = Array.from({ length: jobCount }, () => ({ openStatus: 0, badLayer: -1, windows: [] }));
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(' ');
    if (f[0] === 'R') {
      const [j, w, status, cls, ...logits] = f.slice(1).map(Number);
      const job = jobs[j!];
      if (!job || w !== job.windows.length) throw new Error(`unexpected harness line: ${line}`);
      job.windows.push({ status: status!, cls: cls!, logits });
    } else if (f[0] === 'O') {
      const job = jobs[Number(f[1])];
      if (!job) throw new Error(`unexpected harness line: ${line}`);
      job.openStatus = Number(f[2]);
      job.badLayer = Number(f[3]);
    } else if (f[0] === 'E') {
      throw new Error(`harness error: ${line}`);
    }
  }
  return jobs;
}

function parseEvents(text: string): { total: number; marks: Array<[number, number]>; ranges: Map<number, number>; profile: Map<number, number> } {
  let total = 0;
  const marks: Array<[number, number]> = [];
  const ranges = new Map<number, number>();
  const profile = new Map<number, number>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'T') total = Number(f[1]);
    else if (f[0] === 'M') marks.push([Number(f[1]), Number(f[2])]);
    else if (f[0] === 'R') ranges.set(Number(f[1]), Number(f[2]));
    else if (f[0] === 'P') profile.set(Number.parseInt(f[1]!, 16), Number(f[2]));
    else if (f[0] === 'X') throw new Error('plugin ran out of memory for events');
  }
  return { total, marks, ranges, profile };
}

const BEGIN = 0;
const END = 1;
const LAYER = 2;

/**
 * Turns the marker event stream into per-inference counts. The harness first
 * calls begin, layer, end back to back (calibration): begin->layer is the cost
 * of one marker plus a call, layer->end the same for the hook; those are
 * subtracted from every interval.
 */
function splitCounts(marks: Array<[number, number]>, jobs: JobResult[]): InferenceCount[][] {
  const kinds = marks.map((m) => m[0]).slice(0, 3).join(',');
  if (kinds !== `${BEGIN},${LAYER},${END}`) throw new Error(`marker calibration missing (got ${kinds})`);
  const beginToLayer = marks[1]![1] - marks[0]![1];
  const layerToEnd = marks[2]![1] - marks[1]![1];
  let i = 3;
  const out: InferenceCount[][] = [];
  for (const job of jobs) {
    const perJob: InferenceCount[] = [];
    for (let w = 0; w < job.windows.length; w++) {
      const [k0, c0] = marks[i++] ?? [-1, 0];
      if (k0 !== BEGIN) throw new Error('marker stream out of step (begin)');
      const hooks: number[] = [];
      while (marks[i] && marks[i]![0] === LAYER) hooks.push(marks[i++]![1]);
      const [k1, c1] = marks[i++] ?? [-1, 0];
      if (k1 !== END) throw new Error('marker stream out of step (end)');
      const layers: number[] = [];
      for (let h = 0; h + 1 < hooks.length; h++) layers.push(hooks[h + 1]! - hooks[h]! - layerToEnd);
      // begin->end spans: begin body + call, the kernel, its hooks, call of end.
      const total = c1 - c0 - beginToLayer - hooks.length * layerToEnd;
      perJob.push({ total, layers });
    }
    out.push(perJob);
  }
  return out;
}

/**
 * Builds the kernel for `board` at -O2 with one edit (`from` -> `to` in native-modules/core/<header>, where `from`
 * must occur exactly once), runs `cases` on it and returns their mismatches against the reference: the cases
 * catch the wrong variant when there are some.
 */
export function mutantMismatches(board: EmulatedBoard, header: string, from: string, to: string, cases: ExpectedJobs): string[] {
  const source = readFileSync(path.join(REPO_ROOT, 'native-modules', 'core', header), 'utf8');
  const occurrences = source.split(from).length - 1;
  if (occurrences !== 1) throw new Error(`"${from}" occurs ${occurrences} times in ${header}, not once`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tbn-mutant-'));
  try {
    // the kernel includes ../tbn.h and ../tbn_format.h: copy them beside it
    const kernel = path.join(tmp, 'nm', 'core');
    const out = path.join(tmp, 'out');
    cpSync(path.join(REPO_ROOT, 'native-modules', 'core'), kernel, { recursive: true });
    for (const h of ['tbn.h', 'tbn_format.h']) cpSync(path.join(REPO_ROOT, 'native-modules', h), path.join(tmp, 'nm', h));
    writeFileSync(path.join(kernel, header), source.replace(from, to));
    execFileSync('bash', [path.join(REPO_ROOT, 'boards', 'build.sh'), 'board', board, 'O2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 600_000,
      env: { ...process.env, TBN_KERNEL_DIR: kernel, TBN_BOARDS_OUT: out },
    });
    return jobMismatches(runJobs(board, cases.jobs, { opt: 'O2', buildDir: out }), cases);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
