/**
 * Which firmware `tbn firmware --engine E --board B` builds: our board files
 * under boards/ (Espruino: boards/<board>/espruino/*.py; JerryScript: the
 * Linux host main, boards/stm32f405/jerryscript, boards/esp32/jerryscript).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../cli/args.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import type { EngineName } from './engines.ts';

/** tbn's own files (board files, native-modules), from a checkout or the compiled dist/. */
export const REPO_ROOT = PACKAGE_ROOT;
export const BOARDS_DIR = path.join(REPO_ROOT, 'boards');

/** How the firmware is built and run. */
export type TargetFamily = 'linux' | 'arm' | 'esp32';

export interface FirmwareTarget {
  engine: EngineName;
  /** Our board name (boards/<board>/), "linux" for the Linux host build. */
  board: string;
  family: TargetFamily;
  /** Espruino: our board file, and its name (BOARD=...). */
  boardFile?: string;
  espruinoBoard?: string;
  /** The upstream Espruino board it extends (from its `from X import *` line). */
  upstreamBoard?: string;
  /** `tbn firmware --run` can start it: on Linux, or the STM32F405 under QEMU. */
  runnable: 'linux' | 'qemu' | null;
}

/** Espruino board files of ours: { board dir, file, name }. */
export function espruinoBoardFiles(boardsDir = BOARDS_DIR): Array<{ board: string; file: string; name: string }> {
  const found: Array<{ board: string; file: string; name: string }> = [];
  for (const board of readdirSync(boardsDir).sort()) {
    const dir = path.join(boardsDir, board, 'espruino');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.py')) found.push({ board, file: path.join(dir, f), name: f.slice(0, -3) });
    }
  }
  return found;
}

function upstreamOf(file: string): string | undefined {
  const m = /^from\s+(\w+)\s+import\s+\*/m.exec(readFileSync(file, 'utf8'));
  return m?.[1];
}

function espruinoFamily(board: string, upstream: string | undefined): TargetFamily {
  if (board === 'linux' || upstream === 'LINUX') return 'linux';
  if (/^ESP32/.test(upstream ?? '') || board.startsWith('esp32')) return 'esp32';
  return 'arm';
}

/** Resolves --board for an engine: a board directory name or (Espruino) a board file name. */
export function resolveTarget(engine: EngineName, board: string, boardsDir = BOARDS_DIR): FirmwareTarget {
  if (engine === 'espruino') {
    const files = espruinoBoardFiles(boardsDir);
    const byDir = files.filter((f) => f.board === board);
    const byName = files.filter((f) => f.name.toLowerCase() === board.toLowerCase() || f.name.toLowerCase() === `${board.toLowerCase()}_tbn`);
    const list = `${files.map((f) => `${f.board} (${f.name})`).join(', ')}`;
    let pick: (typeof files)[number] | undefined;
    if (byName.length === 1) pick = byName[0];
    else if (byDir.length === 1) pick = byDir[0];
    else if (byDir.length > 1) throw new UsageError(`boards/${board}/espruino has several board files (${byDir.map((f) => f.name).join(', ')}): give one as --board`);
    if (!pick) throw new UsageError(`no Espruino board file for --board "${board}"; ours: ${list}`);
    const upstream = upstreamOf(pick.file);
    const family = espruinoFamily(pick.board, upstream);
    return { engine, board: pick.board, family, boardFile: pick.file, espruinoBoard: pick.name, upstreamBoard: upstream, runnable: family === 'linux' ? 'linux' : null };
  }
  if (board === 'linux') return { engine, board, family: 'linux', runnable: 'linux' };
  if (board === 'stm32f405') return { engine, board, family: 'arm', runnable: 'qemu' };
  if (board === 'esp32') return { engine, board, family: 'esp32', runnable: null };
  throw new UsageError(`no JerryScript firmware for --board "${board}"; ours: linux (host main), stm32f405 (bare metal), esp32 (ESP-IDF)`);
}
