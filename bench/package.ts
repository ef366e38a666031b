/**
 * Package benchmark: what a user installs and how fast the CLI starts.
 *   - `tbn --help` wall time: the compiled CLI (bin/tbn.js -> dist/) against today's start through tsx
 *     (TypeScript compiled at every start), from the checkout and from an installed package, interleaved runs;
 *   - the tarball's size and file count (npm pack);
 *   - the packages an install brings (node_modules/.package-lock.json), without and with the optional
 *     flash dependencies (EspruinoTools and its BLE/USB stacks).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 9;

/** Today's bin/tbn.js before the compiled package: tsx compiles host/ at every start. */
const TSX_START = "import { register } from 'tsx/esm/api'; register(); const { main } = await import('./host/cli.ts'); process.exitCode = await main(process.argv.slice(1));";

interface Starter {
  name: string;
  cmd: string;
  args: string[];
  cwd: string;
}

function wallMs(s: Starter): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(s.cmd, s.args, { cwd: s.cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || (s.args[0] !== '-e' && !r.stdout.includes('Usage: tbn'))) throw new Error(`${s.name}: tbn --help failed (${r.status}): ${r.stderr}`);
  return ms;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function installedPackages(app: string): number {
  const lock = JSON.parse(readFileSync(path.join(app, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  return Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/')).length;
}

function install(work: string, tarball: string, name: string, omitOptional: boolean): string {
  const app = path.join(work, name);
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: `bench-${name}`, private: true }));
  const args = ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...(omitOptional ? ['--omit=optional'] : [])];
  execFileSync('npm', args, { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  return app;
}

export async function run(): Promise<{ title: string; text: string; json: unknown }> {
  execFileSync('bash', ['scripts/build-host.sh'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const work = mkdtempSync(path.join(tmpdir(), 'tbn-bench-package-'));
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], { cwd: REPO, encoding: 'utf8', timeout: 600_000 })) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
    const info = packed[0];
    if (!info) throw new Error('npm pack printed nothing');
    const tarball = path.join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) as string);
    const lean = install(work, tarball, 'lean', true);
    const full = install(work, tarball, 'full', false);

    const starters: Starter[] = [
      { name: 'node -e "" (node alone, the floor)', cmd: process.execPath, args: ['-e', ''], cwd: REPO },
      { name: 'tsx (TypeScript compiled at start, before)', cmd: process.execPath, args: ['--input-type=module', '-e', TSX_START, '--', '--help'], cwd: REPO },
      { name: 'compiled, checkout: node bin/tbn.js', cmd: process.execPath, args: ['bin/tbn.js', '--help'], cwd: REPO },
      { name: 'compiled, installed: node_modules/.bin/tbn', cmd: path.join(lean, 'node_modules', '.bin', 'tbn'), args: ['--help'], cwd: lean },
    ];
    const times = starters.map(() => [] as number[]);
    for (const [i, s] of starters.entries()) wallMs(s); // warm the file cache once
    for (let r = 0; r < RUNS; r++) for (const [i, s] of starters.entries()) times[i]?.push(wallMs(s));
    const rows = starters.map((s, i) => ({ name: s.name, medianMs: median(times[i] as number[]), minMs: Math.min(...(times[i] as number[])) }));

    const json = {
      runs: RUNS,
      startup: rows,
      tarball: { file: info.filename, bytes: info.size, unpackedBytes: info.unpackedSize, files: info.entryCount },
      installedPackages: { withoutOptional: installedPackages(lean), withOptional: installedPackages(full) },
    };
    const lines = [
      `tbn --help wall time, ${RUNS} interleaved runs each (this machine, shared):`,
      ...rows.map((r) => `  ${r.name.padEnd(46)} median ${r.medianMs.toFixed(0).padStart(5)} ms   min ${r.minMs.toFixed(0).padStart(5)} ms`),
      `npm pack: ${info.filename} ${(info.size / 1024).toFixed(1)} kB, ${info.entryCount} files, ${(info.unpackedSize / 1024).toFixed(1)} kB unpacked`,
      `npm install of the tarball: ${json.installedPackages.withoutOptional} packages in node_modules without the optional flash dependencies (--omit=optional), ${json.installedPackages.withOptional} with them`,
    ];
    return { title: 'package: startup, tarball, install size', text: lines.join('\n'), json };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
