/**
 * Where tbn's own files are: the folder of its package.json, found from this module's location, so runtime
 * assets (wasm, device bundle, format header, boards) load the same from a checkout (host/*.ts),
 * from the compiled dist/host/*.js, and from an installed node_modules/tbn — never from the cwd.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'native-modules'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`tbn: cannot find the package root above ${from}`);
    dir = up;
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the tbn package, e.g. packagePath('build', 'native', 'tbn.wasm'). */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}

/** The version in tbn's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
}
