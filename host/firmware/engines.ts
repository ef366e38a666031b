/**
 * The engine versions `tbn firmware` builds, and the check that a directory
 * the user gives is a checkout of one at that version. Nothing is ever
 * downloaded: a missing or wrong checkout gets the commands to make one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';

export type EngineName = 'espruino' | 'jerryscript';
export const ENGINE_NAMES: readonly EngineName[] = ['espruino', 'jerryscript'];

export interface PinnedEngine {
  name: EngineName;
  title: string;
  repository: string;
  /** What `git checkout` takes (a commit or a tag). */
  ref: string;
  /** The full commit id that ref names. */
  commit: string;
  /** How we name the version in messages. */
  version: string;
  /** Files that identify the project's source tree. */
  markers: string[];
}

export const PINNED: Record<EngineName, PinnedEngine> = {
  espruino: {
    name: 'espruino',
    title: 'Espruino',
    repository: 'https://github.com/espruino/Espruino',
    ref: 'c5ff787b',
    commit: 'c5ff787b199148c31ef2776fb6f70673cba01a25',
    version: 'commit c5ff787b (2v29.277)',
    markers: ['Makefile', 'scripts/build_jswrapper.py', 'src/jsvar.c'],
  },
  jerryscript: {
    name: 'jerryscript',
    title: 'JerryScript',
    repository: 'https://github.com/jerryscript-project/jerryscript',
    ref: 'v3.0.0',
    commit: '50200152feb724a74a5f64e44d7885151537cfad',
    version: 'tag v3.0.0 (commit 50200152)',
    markers: ['tools/build.py', 'jerry-core/include/jerryscript.h'],
  },
};

/** The clone and checkout commands, as text for the user to run. */
export function checkoutInstructions(engine: EngineName, dir: string): string {
  const p = PINNED[engine];
  const d = path.resolve(dir);
  return [
    `tbn firmware builds ${p.title} ${p.version} and downloads nothing itself. Get it with:`,
    `  git clone ${p.repository} ${d}`,
    `  git -C ${d} checkout ${p.ref}`,
    `(in an existing clone: git -C ${d} fetch && git -C ${d} checkout ${p.ref})`,
  ].join('\n');
}

function git(dir: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new TbnError('E_TOOL', code === 'ENOENT' ? 'git is not installed (Debian package: git); the engine builds read their version from git' : `git failed: ${r.error.message}`);
  }
  return { ok: r.status === 0, out: `${r.stdout ?? ''}`.trim() };
}

export interface CheckoutInfo {
  dir: string;
  commit: string;
  /** True when HEAD is the pinned commit. */
  pinned: boolean;
}

/**
 * Checks that `dir` is a git checkout of the engine at the pinned commit.
 * `allowOtherVersion` accepts another commit (the caller warns).
 */
export function checkEngineCheckout(engine: EngineName, dir: string, allowOtherVersion = false): CheckoutInfo {
  const p = PINNED[engine];
  const abs = path.resolve(dir);
  const refuse = (problem: string) => new TbnError('E_CHECKOUT', `--engine-dir ${abs}: ${problem}\n${checkoutInstructions(engine, abs)}`);
  if (!existsSync(abs)) throw refuse('does not exist.');
  if (!statSync(abs).isDirectory()) throw refuse('is not a directory.');
  const missing = p.markers.filter((m) => !existsSync(path.join(abs, m)));
  if (missing.length > 0) throw refuse(`is not a ${p.title} source tree (no ${missing.join(', ')}).`);
  const head = git(abs, ['rev-parse', 'HEAD']);
  if (!head.ok || !/^[0-9a-f]{40}$/.test(head.out)) throw refuse(`is not a git checkout (git rev-parse HEAD fails; the ${p.title} build needs its git history).`);
  const pinned = head.out === p.commit;
  if (!pinned && !allowOtherVersion) {
    const described = git(abs, ['describe', '--tags', '--always', 'HEAD']);
    throw refuse(`is at commit ${head.out.slice(0, 8)}${described.ok && described.out ? ` (${described.out})` : ''}, not the ${p.version} we test against.`);
  }
  return { dir: abs, commit: head.out, pinned };
}
