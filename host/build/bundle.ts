/** Builds the device app bundle with the device build script (device/build.mjs -> build/device/app.js). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';
import { readRegularFile } from '../io/files.ts';
import { PACKAGE_ROOT } from '../package-root.ts';

/** Far above any bundle a board's Storage can hold; a cap so a wrong path is not read whole. */
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export const REPO_ROOT = PACKAGE_ROOT;
export const DEFAULT_BUNDLE = path.join(REPO_ROOT, 'build', 'device', 'app.js');

/** A checkout has the device sources and its build script; an installed package only the prebuilt bundle. */
export function hasDeviceSources(root = REPO_ROOT): boolean {
  return existsSync(path.join(root, 'device', 'build.mjs'));
}

/**
 * Runs the device build in a checkout; returns the bundle's path. An installed package has no device sources
 * (and no rollup): it uses the prebuilt bundle it ships.
 */
export function buildDeviceBundle(root = REPO_ROOT): string {
  const script = path.join(root, 'device', 'build.mjs');
  const prebuilt = path.join(root, 'build', 'device', 'app.js');
  if (!existsSync(script) && existsSync(prebuilt)) return prebuilt;
  if (!existsSync(script)) throw new TbnError('E_BUILD', `${script} is missing: cannot bundle the device app`);
  try {
    execFileSync(process.execPath, [script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new TbnError('E_BUILD', `bundling the device app failed: ${err.stderr?.toString().trim() || err.message}`);
  }
  return path.join(root, 'build', 'device', 'app.js');
}

/** Reads a bundle and checks it is plain ASCII (what the device build emits, and what both engines load). */
export function readBundle(file: string): string {
  const text = readRegularFile(file, MAX_BUNDLE_BYTES, 'app bundle').toString('latin1');
  const bad = text.search(/[^\x09\x0a\x0d\x20-\x7e]/);
  if (bad >= 0) {
    const line = text.slice(0, bad).split('\n').length;
    throw new TbnError('E_INPUT', `${file}:${line}: the app bundle has a non-ASCII or control character (code ${text.charCodeAt(bad)})`);
  }
  if (text.length === 0) throw new TbnError('E_INPUT', `${file}: the app bundle is empty`);
  return text;
}
