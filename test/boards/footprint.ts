/**
 * Footprint of the C kernel per target and optimisation level, from the
 * objects boards/build.sh compiles: text/rodata/data/bss (`size -A`), the
 * worst-case stack depth from GCC's -fcallgraph-info=su call graph (the same
 * per-function numbers as -fstack-usage, plus the edges), and the symbols the
 * kernel needs from outside (to prove: no heap, no division helpers).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BOARDS_BUILD, type EmulatedBoard, type Opt, requireBoard, TOOLS } from './qemu.ts';

export interface SectionSizes {
  text: number;
  rodata: number;
  data: number;
  bss: number;
}

export interface KernelFootprint extends SectionSizes {
  board: EmulatedBoard;
  opt: Opt;
  /** Deepest stack of any API entry point, bytes (hook and libc leaf calls excluded). */
  stackBytes: number;
  /** The path that gives stackBytes, outermost first. */
  stackPath: string[];
  /** Whether some function's stack is dynamic or bounded only (then stackBytes is a lower bound). */
  stackDynamic: boolean;
  /** Symbols the kernel objects need from outside the kernel. */
  undefinedSymbols: string[];
}

function kernelDir(board: EmulatedBoard, opt: Opt): string {
  return path.join(BOARDS_BUILD, board, opt, 'kernel');
}

export function kernelObjects(board: EmulatedBoard, opt: Opt): string[] {
  const dir = kernelDir(board, opt);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.o'))
    .sort()
    .map((f) => path.join(dir, f));
}

function classify(section: string): keyof SectionSizes | undefined {
  if (/^\.(text|literal)/.test(section)) return 'text';
  if (/^\.s?rodata/.test(section)) return 'rodata';
  if (/^\.s?data/.test(section)) return 'data';
  if (/^\.s?bss/.test(section)) return 'bss';
  return undefined;
}

export function sectionSizes(board: EmulatedBoard, objects: string[]): SectionSizes {
  const sizes: SectionSizes = { text: 0, rodata: 0, data: 0, bss: 0 };
  const out = execFileSync(`${TOOLS[board].prefix}size`, ['-A', '-d', ...objects], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line.trim());
    if (!m) continue;
    const kind = classify(m[1]!);
    if (kind) sizes[kind] += Number(m[2]);
  }
  return sizes;
}

export function undefinedSymbols(board: EmulatedBoard, objects: string[]): string[] {
  const out = execFileSync(`${TOOLS[board].prefix}nm`, objects, { encoding: 'utf8' });
  const undef = new Set<string>();
  const defined = new Set<string>();
  for (const line of out.split('\n')) {
    const u = /^\s*U\s+(\S+)$/.exec(line);
    if (u) undef.add(u[1]!);
    const d = /^[0-9a-f]+\s+[A-Za-z]\s+(\S+)$/.exec(line.trim());
    if (d) defined.add(d[1]!);
  }
  return [...undef].filter((s) => !defined.has(s)).sort();
}

interface CallGraph {
  stack: Map<string, number>;
  dynamic: Set<string>;
  edges: Map<string, Set<string>>;
  label: Map<string, string>;
}

function readCallGraph(files: string[]): CallGraph {
  const g: CallGraph = { stack: new Map(), dynamic: new Set(), edges: new Map(), label: new Map() };
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const node = /^node: \{ title: "([^"]+)" label: "([^\\"]+)(?:\\n[^"]*)?"/.exec(line);
      if (node) {
        const title = node[1]!;
        g.label.set(title, node[2]!);
        const su = /\\n(\d+) bytes \(([a-z,]+)\)"/.exec(line);
        if (su) {
          g.stack.set(title, Number(su[1]));
          if (su[2] !== 'static') g.dynamic.add(title);
        }
        continue;
      }
      const edge = /^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/.exec(line);
      if (edge) {
        const set = g.edges.get(edge[1]!) ?? new Set<string>();
        set.add(edge[2]!);
        g.edges.set(edge[1]!, set);
      }
    }
  }
  return g;
}

/** Deepest path from `root`; throws on recursion (an unbounded stack). */
function deepest(g: CallGraph, root: string, onPath: Set<string> = new Set()): { bytes: number; path: string[] } {
  if (onPath.has(root)) throw new Error(`recursion through ${root}: the kernel's stack is unbounded`);
  onPath.add(root);
  let best = { bytes: 0, path: [] as string[] };
  for (const callee of g.edges.get(root) ?? []) {
    const d = deepest(g, callee, onPath);
    if (d.bytes > best.bytes) best = d;
  }
  onPath.delete(root);
  const own = g.stack.get(root) ?? 0; // external leaves (memset, the hook) count 0
  return { bytes: own + best.bytes, path: [g.label.get(root) ?? root, ...best.path] };
}

export const KERNEL_ENTRY_POINTS = ['tbn_model_open', 'tbn_model_info', 'tbn_class_label', 'tbn_run', 'tbn_run_ex', 'tbn_status_string'];

export function kernelFootprint(board: EmulatedBoard, opt: Opt): KernelFootprint {
  requireBoard(board);
  const objects = kernelObjects(board, opt);
  const g = readCallGraph(objects.map((o) => o.replace(/\.o$/, '.ci')));
  let stack = { bytes: 0, path: [] as string[] };
  for (const entry of KERNEL_ENTRY_POINTS) {
    if (!g.stack.has(entry)) continue;
    const d = deepest(g, entry);
    if (d.bytes > stack.bytes) stack = d;
  }
  return {
    board,
    opt,
    ...sectionSizes(board, objects),
    stackBytes: stack.bytes,
    stackPath: stack.path,
    stackDynamic: g.dynamic.size > 0,
    undefinedSymbols: undefinedSymbols(board, objects),
  };
}
