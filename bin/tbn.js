#!/usr/bin/env node
// Runs the compiled CLI (dist/host/cli.js; `npm run build` makes it). In a checkout whose dist/ is missing or
// older than the TypeScript sources, it runs the sources through tsx (a devDependency) instead.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'host', 'cli.js');
const stamp = path.join(root, 'dist', '.built');
const sources = [path.join(root, 'host'), path.join(root, 'device')];

/** Newest modification time of the .ts/.cjs files under dirs (a checkout only; an installed package has none). */
function newestSource(dirs) {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|cjs)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return newest;
}

const checkout = existsSync(path.join(root, 'host', 'cli.ts'));
const fresh = existsSync(compiled) && (!checkout || (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource(sources)));
let main;
if (fresh) {
  ({ main } = await import(pathToFileURL(compiled).href));
} else if (checkout) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(`tbn: ${existsSync(compiled) ? 'dist/ is older than host/' : 'dist/ is missing'} and tsx is not installed; build the CLI with: npm run build\n`);
    process.exit(1);
  }
  register();
  ({ main } = await import(pathToFileURL(path.join(root, 'host', 'cli.ts')).href));
} else {
  process.stderr.write(`tbn: ${compiled} is missing: this package was packed without its build (npm run build)\n`);
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
