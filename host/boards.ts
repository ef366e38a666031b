/**
 * Board definitions (boards/<name>/board.json) and the fit check that
 * `tbn build --board NAME` and the simulator use to refuse a model that does
 * not fit a chip.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from './errors.ts';
import { packagePath } from './package-root.ts';

export interface QemuMachine {
  /** Emulator binary, e.g. "qemu-system-arm". */
  system: string;
  /** `-M` value. */
  machine: string;
  /** `-cpu` value, or null for the machine's default. */
  cpu: string | null;
}

export interface BoardDefinition {
  name: string;
  title: string;
  /** CPU core, e.g. "cortex-m4f", "rv32imc", "xtensa-lx106". */
  core: string;
  arch: string;
  cpuMHz: number;
  flashBytes: number;
  ramBytes: number;
  /** Size of the engine's Storage (flash file) area. */
  storageBytes: number;
  /** Part of Storage budgeted for the packed model. */
  modelFlashBytes: number;
  /** RAM the model's scratch buffer may take once the engine runs. */
  appRamBytes: number;
  /** The JS engine's variable budget (Espruino JsVars) and bytes per variable. */
  jsVars: number;
  jsVarBytes: number;
  /** Where the harness runs under emulation, or null (see qemuNote). */
  qemu: QemuMachine | null;
  qemuNote: string;
  /** Where the numbers come from. */
  sources: string;
}

export interface FitRequest {
  modelBytes: number;
  scratchBytes: number;
  /** Size of the app's JS bundle stored beside the model in Storage. */
  bundleBytes?: number;
  /** JS variables the app itself uses (without the scratch). */
  jsVars?: number;
}

export interface FitRow {
  what: string;
  need: number;
  have: number;
}

export interface FitResult {
  fits: boolean;
  problems: string[];
  rows: FitRow[];
}

const BOARDS_DIR = packagePath('boards');

/** Names of all boards with a board.json, sorted. */
export function listBoards(): string[] {
  if (!existsSync(BOARDS_DIR)) return [];
  return readdirSync(BOARDS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(BOARDS_DIR, d.name, 'board.json')))
    .map((d) => d.name)
    .sort();
}

const NUMBER_FIELDS = [
  'cpuMHz',
  'flashBytes',
  'ramBytes',
  'storageBytes',
  'modelFlashBytes',
  'appRamBytes',
  'jsVars',
  'jsVarBytes',
] as const;
const STRING_FIELDS = ['name', 'title', 'core', 'arch', 'qemuNote', 'sources'] as const;

export function loadBoard(name: string): BoardDefinition {
  const known = listBoards();
  if (!/^[a-z0-9_-]+$/i.test(name) || !known.includes(name)) {
    throw new TbnError('E_BOARD', `unknown board "${name}"; known boards: ${known.join(', ')}`);
  }
  const file = path.join(BOARDS_DIR, name, 'board.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TbnError('E_BOARD', `${file}: not valid JSON (${(e as Error).message})`);
  }
  return validateBoard(raw, file);
}

function validateBoard(raw: unknown, file: string): BoardDefinition {
  const bad = (problem: string): never => {
    throw new TbnError('E_BOARD', `${file}: ${problem}`);
  };
  if (typeof raw !== 'object' || raw === null) bad('expected a JSON object');
  const o = raw as Record<string, unknown>;
  for (const f of STRING_FIELDS) if (typeof o[f] !== 'string') bad(`field "${f}" must be a string`);
  for (const f of NUMBER_FIELDS) {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(`field "${f}" must be a positive integer`);
  }
  const q = o.qemu;
  if (q !== null) {
    if (typeof q !== 'object' || q === undefined) bad('field "qemu" must be an object or null');
    const m = q as Record<string, unknown>;
    if (typeof m.system !== 'string' || typeof m.machine !== 'string') bad('qemu.system and qemu.machine must be strings');
    if (m.cpu !== null && typeof m.cpu !== 'string') bad('qemu.cpu must be a string or null');
  }
  const b = o as unknown as BoardDefinition;
  if (b.modelFlashBytes > b.storageBytes) bad('modelFlashBytes exceeds storageBytes');
  if (b.storageBytes > b.flashBytes) bad('storageBytes exceeds flashBytes');
  if (b.appRamBytes > b.ramBytes) bad('appRamBytes exceeds ramBytes');
  return b;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Checks a model (and optionally the app) against a board's budgets; every problem states the numbers. */
export function checkFit(board: BoardDefinition, req: FitRequest): FitResult {
  for (const [k, v] of Object.entries(req)) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
      throw new TbnError('E_ARG', `checkFit: ${k} must be a non-negative integer, got ${String(v)}`);
    }
  }
  const rows: FitRow[] = [];
  const problems: string[] = [];
  const check = (what: string, need: number, have: number, problem: string): void => {
    rows.push({ what, need, have });
    if (need > have) problems.push(problem);
  };
  const b = board.name;
  check(
    'model flash',
    req.modelBytes,
    board.modelFlashBytes,
    `model needs ${fmt(req.modelBytes)} B of flash, the ${b} has ${fmt(board.modelFlashBytes)} B for models`,
  );
  if (req.bundleBytes !== undefined) {
    const need = req.modelBytes + req.bundleBytes;
    check(
      'Storage (model + app bundle)',
      need,
      board.storageBytes,
      `model (${fmt(req.modelBytes)} B) and app bundle (${fmt(req.bundleBytes)} B) need ${fmt(need)} B of Storage, the ${b} has ${fmt(board.storageBytes)} B`,
    );
  }
  check(
    'scratch RAM',
    req.scratchBytes,
    board.appRamBytes,
    `model scratch needs ${fmt(req.scratchBytes)} B of RAM, the ${b} has ${fmt(board.appRamBytes)} B for it`,
  );
  if (req.jsVars !== undefined) {
    // The scratch is one flat string in the variable store: a header variable plus its bytes.
    const scratchVars = 1 + Math.ceil(req.scratchBytes / board.jsVarBytes);
    const need = req.jsVars + scratchVars;
    check(
      'JS variables',
      need,
      board.jsVars,
      `app needs ${fmt(need)} JS variables (${fmt(req.jsVars)} + ${fmt(scratchVars)} for the scratch), the ${b} has ${fmt(board.jsVars)}`,
    );
  }
  return { fits: problems.length === 0, problems, rows };
}
