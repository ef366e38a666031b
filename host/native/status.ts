/**
 * The kernel's status codes, read at module load from their single definition, the tbn_status enum of
 * native-modules/tbn.h (as format/spec.ts reads tbn_format.h), so TypeScript never restates one.
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.ts';

export const API_HEADER_PATH = packagePath('native-modules', 'tbn.h');

/** Statuses the TypeScript side names in code. */
const USED = ['TBN_OK', 'TBN_E_ARG', 'TBN_E_INPUT', 'TBN_E_PARAMS'] as const;

/**
 * Status names by code from `typedef enum { TBN_OK = 0, ... } tbn_status;`: every entry written
 * `TBN_NAME = code`, the codes 0, 1, 2, ... in order.
 */
export function parseStatusNames(text: string): string[] {
  const block = /typedef\s+enum\s*\{([^}]*)\}\s*tbn_status\s*;/.exec(text);
  if (!block) throw new Error('no `typedef enum { ... } tbn_status;`');
  const names: string[] = [];
  for (const entry of (block[1] as string).replace(/\/\*[\s\S]*?\*\//g, '').split(',')) {
    const e = entry.trim();
    if (e === '') continue;
    const m = /^(TBN_[A-Z0-9_]+)\s*=\s*(\d+)$/.exec(e);
    if (!m) throw new Error(`tbn_status entry "${e}" is not TBN_NAME = code`);
    const [, name, code] = m as unknown as [string, string, string];
    if (names.includes(name)) throw new Error(`tbn_status: ${name} is defined twice`);
    if (Number(code) !== names.length) throw new Error(`tbn_status: ${name} = ${code}, expected ${names.length} (codes run 0, 1, 2, ...)`);
    names.push(name);
  }
  return names;
}

function loadStatusNames(): readonly string[] {
  let names: string[];
  try {
    names = parseStatusNames(readFileSync(API_HEADER_PATH, 'utf8'));
  } catch (e) {
    throw new Error(`${API_HEADER_PATH}: ${(e as Error).message}`);
  }
  for (const name of USED) if (!names.includes(name)) throw new Error(`${API_HEADER_PATH}: tbn_status has no ${name}`);
  return Object.freeze(names);
}

/** tbn_status names by code, e.g. STATUS_NAMES[13] === 'TBN_E_INPUT'. */
export const STATUS_NAMES = loadStatusNames();

/** Codes of the statuses named in TypeScript code, e.g. `STATUS.TBN_E_INPUT`. */
export const STATUS: Readonly<Record<(typeof USED)[number], number>> = Object.freeze(
  Object.fromEntries(USED.map((name) => [name, STATUS_NAMES.indexOf(name)])) as Record<(typeof USED)[number], number>,
);
